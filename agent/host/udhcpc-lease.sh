#!/bin/sh
# udhcpc's script for a lab probe: prints the event and the lease's variables for the agent, which configures the
# interface itself. Nothing here touches the host (no resolv.conf, no address).
echo "@@ $1"
env
