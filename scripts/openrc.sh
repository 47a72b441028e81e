#!/usr/bin/env bash
# Writes an openrc for OpenStack's clients (`openstack`, openstacksdk) the way devstack does: after
# `source FILE`, `openstack network list` talks to netlens's Keystone (/identity) and Neutron (/networking).
#   scripts/openrc.sh FILE URL USER PROJECT PASSWORD_FILE [PASSWORD]
# The password: PASSWORD if given (the NETLENS_*_PASSWORD the server was started with), else PASSWORD_FILE's.
set -euo pipefail
file=$1 url=$2 user=$3 project=$4 password_file=$5 password=${6:-}
if [[ -z $password && -r $password_file ]]; then password=$(<"$password_file"); fi

umask 077
{
  echo "# netlens at $url: user $user, project $project (written by npm run up)"
  echo "unset OS_CLOUD OS_TOKEN OS_AUTH_TYPE"
  printf 'export OS_AUTH_URL=%q\n' "$url/identity"
  echo "export OS_IDENTITY_API_VERSION=3"
  printf 'export OS_USERNAME=%q\n' "$user"
  printf 'export OS_PROJECT_NAME=%q\n' "$project"
  echo "export OS_USER_DOMAIN_NAME=Default"
  echo "export OS_PROJECT_DOMAIN_NAME=Default"
  echo "export OS_REGION_NAME=RegionOne"
  echo "export OS_INTERFACE=public"
  if [[ -n $password ]]; then
    printf 'export OS_PASSWORD=%q\n' "$password"
  else
    echo "# The password of $user is not known here: export OS_PASSWORD yourself."
  fi
} >"$file.tmp"
mv "$file.tmp" "$file"
