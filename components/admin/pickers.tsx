"use client";
// The selects the account forms share: pick a user or project by name, and pick a role.
import { roles } from "@/lib/schemas/auth";
import { Field, Select } from "../ui/controls";

export type Role = (typeof roles)[number];

/**
 * A controlled select of named records. Its empty first option reads as what it means: "Choose…" where a pick is
 * required, "(none)" where none is a valid answer.
 */
export function NamedSelect({
  label,
  name,
  items,
  value,
  onChange,
  required = false,
}: {
  label: string;
  name: string;
  items: readonly { id: string; name: string }[];
  value: string;
  onChange: (id: string) => void;
  required?: boolean;
}) {
  return (
    <Field label={label} name={name}>
      {(p) => (
        <Select {...p} value={value} onChange={(e) => onChange(e.target.value)} required={required}>
          <option value="">{required ? "Choose…" : "(none)"}</option>
          {items.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

export function RoleSelect({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <Field label="Role" name="role">
      {(p) => (
        <Select {...p} value={value} onChange={(e) => onChange(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </Select>
      )}
    </Field>
  );
}
