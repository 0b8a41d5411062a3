import { createHash, randomBytes } from 'node:crypto';

/** Names of the sim's people. */
export type PersonName = 'alice' | 'bob' | 'carol';

/** Client ids of the sim's machine clients. */
export type MachineName = 'ci-deployer' | 'mcp-agent';

/** A person who can sign in at the IdP's login page. */
export interface Person {
  username: PersonName;
  password: string;
  /** The subject identifier in every token, stable across restarts and unlike the username. */
  sub: string;
  name: string;
  email: string;
  groups: string[];
}

/** A confidential client that uses the client credentials grant. */
export interface Machine {
  clientId: MachineName;
  clientSecret: string;
  groups: string[];
}

/** Everyone the IdP knows. */
export interface Directory {
  people: Record<PersonName, Person>;
  machines: Record<MachineName, Machine>;
}

const PEOPLE: ReadonlyArray<Omit<Person, 'password' | 'sub' | 'email'>> = [
  { username: 'alice', name: 'Alice Adams', groups: ['sre'] },
  { username: 'bob', name: 'Bob Brown', groups: ['dev'] },
  { username: 'carol', name: 'Carol Clark', groups: ['sre-leads'] },
];

const MACHINES: ReadonlyArray<Omit<Machine, 'clientSecret'>> = [
  { clientId: 'ci-deployer', groups: ['ci'] },
  { clientId: 'mcp-agent', groups: ['agents'] },
];

/** Opaque like a real IdP's subject, so code that confuses `sub` with the username shows. */
function subjectFor(username: string): string {
  return `u-${createHash('sha256').update(`kgate-sim:${username}`).digest('hex').slice(0, 20)}`;
}

/**
 * Creates the directory: people with fixed passwords (`<name>-password`, easy to type in a demo)
 * and machines with secrets that are new on every start.
 */
export function createDirectory(): Directory {
  const people = Object.fromEntries(PEOPLE.map((p) => [p.username, {
    ...p,
    password: `${p.username}-password`,
    sub: subjectFor(p.username),
    email: `${p.username}@example.com`,
  }])) as Record<PersonName, Person>;
  const machines = Object.fromEntries(MACHINES.map((m) => [m.clientId, {
    ...m,
    clientSecret: randomBytes(24).toString('base64url'),
  }])) as Record<MachineName, Machine>;
  return { people, machines };
}

/** Finds a person by username, or undefined. */
export function personByUsername(directory: Directory, username: string): Person | undefined {
  return Object.values(directory.people).find((p) => p.username === username);
}

/** Finds a person by subject identifier, or undefined. */
export function personBySub(directory: Directory, sub: string): Person | undefined {
  return Object.values(directory.people).find((p) => p.sub === sub);
}

/** Finds a machine client by client id, or undefined. */
export function machineById(directory: Directory, clientId: string): Machine | undefined {
  return Object.values(directory.machines).find((m) => m.clientId === clientId);
}
