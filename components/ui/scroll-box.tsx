// A box that scrolls its wide or long content inside itself (tables on a phone, rule listings): a named region
// that takes keyboard focus, so that arrow keys scroll it without a mouse (WCAG 2.1.1).
import type { ComponentProps } from "react";

export function ScrollBox({
  label,
  className = "",
  children,
  ...props
}: ComponentProps<"section"> & { label: string }) {
  return (
    <section
      aria-label={label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be focusable to scroll by keyboard
      tabIndex={0}
      {...props}
      className={`overflow-auto focus-visible:outline-2 focus-visible:outline-[var(--color-kind-external)] ${className}`}
    >
      {children}
    </section>
  );
}
