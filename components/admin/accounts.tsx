"use client";
// Users, projects and role assignments (admins). Every change goes through the same admin-only procedures the
// CLI uses (`netlens user|project|role ...`); lists refresh after each change.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { DataTable, PageHeader } from "../resources/table";
import { useTRPC } from "../trpc/provider";
import { Button, Field, TextInput } from "../ui/controls";
import { useToast } from "../ui/toast";
import { NamedSelect, type Role, RoleSelect } from "./pickers";

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="flex flex-col gap-3" aria-label={title}>
      <h2 className="font-semibold">{title}</h2>
      {children}
    </section>
  );
}

/** After any change: refetch everything shown (users carry their roles, projects their members). */
function useDone() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return {
    onSuccess: () => void queryClient.invalidateQueries(),
    onError: (e: { message: string }) => toast("error", e.message),
  };
}

function UserForm({ projects }: { projects: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const done = useDone();
  const create = useMutation(trpc.user.create.mutationOptions());
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [project, setProject] = useState("");
  const [role, setRole] = useState<Role>("member");
  const fieldErrors = (
    create.error?.data as { zodError?: { fieldErrors?: Record<string, string[]> } } | undefined
  )?.zodError?.fieldErrors;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name, password, ...(project ? { project, role } : {}) },
      {
        ...done,
        onSuccess: () => {
          done.onSuccess();
          setName("");
          setPassword("");
        },
      },
    );
  };
  return (
    <form onSubmit={submit} className="grid grid-cols-2 gap-2 lg:grid-cols-5" aria-label="Create user">
      <Field label="User name" name="name" error={fieldErrors?.name?.[0]}>
        {(p) => <TextInput {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Password" name="password" error={fieldErrors?.password?.[0]}>
        {(p) => (
          <TextInput
            {...p}
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <NamedSelect label="Project" name="project" items={projects} value={project} onChange={setProject} />
      <RoleSelect value={role} onChange={setRole} />
      <div className="flex items-end">
        <Button type="submit" variant="primary" busy={create.isPending} data-testid="create-user">
          Create user
        </Button>
      </div>
    </form>
  );
}

function ProjectForm() {
  const trpc = useTRPC();
  const done = useDone();
  const create = useMutation(trpc.project.create.mutationOptions());
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  return (
    <form
      aria-label="Create project"
      className="grid grid-cols-2 gap-2 lg:grid-cols-3"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(
          { name, description },
          {
            ...done,
            onSuccess: () => {
              done.onSuccess();
              setName("");
              setDescription("");
            },
          },
        );
      }}
    >
      <Field label="Project name" name="name">
        {(p) => <TextInput {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Description" name="description">
        {(p) => <TextInput {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <div className="flex items-end">
        <Button type="submit" variant="primary" busy={create.isPending} data-testid="create-project">
          Create project
        </Button>
      </div>
    </form>
  );
}

function AssignForm({
  users,
  projects,
}: {
  users: { id: string; name: string }[];
  projects: { id: string; name: string }[];
}) {
  const trpc = useTRPC();
  const done = useDone();
  const assign = useMutation(trpc.role.assign.mutationOptions());
  const [user, setUser] = useState("");
  const [project, setProject] = useState("");
  const [role, setRole] = useState<Role>("member");
  return (
    <form
      aria-label="Assign role"
      className="grid grid-cols-2 gap-2 lg:grid-cols-4"
      onSubmit={(e) => {
        e.preventDefault();
        assign.mutate({ user, project, role }, done);
      }}
    >
      <NamedSelect label="User" name="user" items={users} value={user} onChange={setUser} required />
      <NamedSelect
        label="On project"
        name="project"
        items={projects}
        value={project}
        onChange={setProject}
        required
      />
      <RoleSelect value={role} onChange={setRole} />
      <div className="flex items-end">
        <Button type="submit" busy={assign.isPending} data-testid="assign-role">
          Assign
        </Button>
      </div>
    </form>
  );
}

export function AccountsAdmin() {
  const trpc = useTRPC();
  const done = useDone();
  const users = useQuery(trpc.user.list.queryOptions(undefined));
  const projects = useQuery(trpc.project.list.queryOptions(undefined));
  const assignments = useQuery(trpc.role.list.queryOptions(undefined));
  const deleteUser = useMutation(trpc.user.delete.mutationOptions());
  const deleteProject = useMutation(trpc.project.delete.mutationOptions());
  const unassign = useMutation(trpc.role.unassign.mutationOptions());
  const projectList = projects.data ?? [];
  return (
    <div className="mx-auto flex max-w-5xl flex-col gap-8 p-4">
      <PageHeader title="Users, projects and roles" />
      <Section title="Users">
        <UserForm projects={projectList} />
        <DataTable
          label="Users"
          rows={users.data ?? []}
          columns={[
            { key: "name", header: "Name", cell: (u) => u.name, sort: (u) => u.name },
            {
              key: "roles",
              header: "Roles",
              cell: (u) => u.roles.map((r) => `${r.role} on ${r.project}`).join(", ") || "none",
            },
            { key: "created", header: "Created", cell: (u) => u.created_at.slice(0, 19).replace("T", " ") },
          ]}
          actions={(u) => (
            <Button
              variant="ghost"
              onClick={() => {
                if (window.confirm(`Delete user ${u.name}? Their sessions and API tokens stop working.`))
                  deleteUser.mutate({ id: u.id }, done);
              }}
            >
              Delete
            </Button>
          )}
        />
      </Section>
      <Section title="Projects">
        <ProjectForm />
        <DataTable
          label="Projects"
          rows={projectList}
          columns={[
            { key: "name", header: "Name", cell: (p) => p.name, sort: (p) => p.name },
            { key: "description", header: "Description", cell: (p) => p.description },
          ]}
          actions={(p) => (
            <Button
              variant="ghost"
              onClick={() => {
                if (window.confirm(`Delete project ${p.name}? Its role assignments go with it.`))
                  deleteProject.mutate({ id: p.id }, done);
              }}
            >
              Delete
            </Button>
          )}
        />
      </Section>
      <Section title="Role assignments">
        <AssignForm users={users.data ?? []} projects={projectList} />
        <DataTable
          label="Role assignments"
          rows={(assignments.data ?? []).map((a) => ({ ...a, id: `${a.user_id}/${a.project_id}` }))}
          columns={[
            { key: "user", header: "User", cell: (a) => a.user, sort: (a) => a.user },
            { key: "project", header: "Project", cell: (a) => a.project, sort: (a) => a.project },
            { key: "role", header: "Role", cell: (a) => a.role, sort: (a) => a.role },
          ]}
          actions={(a) => (
            <Button
              variant="ghost"
              onClick={() => unassign.mutate({ user: a.user_id, project: a.project_id }, done)}
            >
              Remove
            </Button>
          )}
        />
      </Section>
    </div>
  );
}
