import { randomUUID } from "node:crypto";
import type { User } from "../gen/platform/identity/v1/identity_pb.js";
import { unauthenticated } from "../runtime/errors.js";
import type { Queryable } from "../runtime/postgres.js";
import { hashPassword, needsRehash, verifyPassword } from "./passwords.js";

export const roles = ["user", "admin"] as const;
export type Role = (typeof roles)[number];

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly roles: readonly Role[];
  readonly createdAt: Date;
}

const columns = "id, email, name, password_hash, roles, created_at";

interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  roles: Role[];
  created_at: Date;
}

function fromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    roles: row.roles,
    createdAt: row.created_at,
  };
}

/** The User message: everything but the password hash. */
export function userMessage(user: UserRecord): Omit<User, "$typeName"> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: [...user.roles],
    createdAt: user.createdAt.toISOString(),
  };
}

/**
 * Creates the account, or, when the email already has one, leaves that account exactly as
 * it is and returns undefined. The caller decides what to say; sign-up says the same either
 * way, so that it does not tell which emails are registered.
 */
export async function createUser(
  tx: Queryable,
  user: { email: string; name: string; passwordHash: string; roles: readonly Role[] },
): Promise<UserRecord | undefined> {
  const [row] = await tx.query<UserRow>(
    `INSERT INTO users (id, email, name, password_hash, roles) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (email) DO NOTHING RETURNING ${columns}`,
    [randomUUID(), user.email, user.name, user.passwordHash, user.roles],
  );
  return row && fromRow(row);
}

export async function findUserByEmail(q: Queryable, email: string): Promise<UserRecord | undefined> {
  const [row] = await q.query<UserRow>(`SELECT ${columns} FROM users WHERE email = $1`, [email]);
  return row && fromRow(row);
}

export async function findUserById(q: Queryable, id: string): Promise<UserRecord | undefined> {
  const [row] = await q.query<UserRow>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
  return row && fromRow(row);
}

/**
 * The user these credentials belong to. An unknown email costs a full password check too,
 * and both failures read the same, so neither timing nor message tells which emails exist.
 * A hash made with older argon2 parameters is replaced while the password is at hand.
 */
export async function authenticate(q: Queryable, email: string, password: string): Promise<UserRecord> {
  const user = await findUserByEmail(q, email);
  if (!(await verifyPassword(user?.passwordHash, password)) || !user)
    throw unauthenticated("the email or the password is wrong");
  if (needsRehash(user.passwordHash)) {
    await q.query("UPDATE users SET password_hash = $2 WHERE id = $1", [
      user.id,
      await hashPassword(password),
    ]);
  }
  return user;
}

/**
 * Makes sure the bootstrap admin exists, is an admin and has the configured password;
 * running it again changes nothing. Replicas starting together take turns (advisory lock).
 */
export async function ensureAdmin(
  tx: Queryable,
  admin: { email: string; password: string },
): Promise<"created" | "updated" | "unchanged"> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('identity.bootstrap-admin'))");
  const existing = await findUserByEmail(tx, admin.email);
  if (!existing) {
    const passwordHash = await hashPassword(admin.password);
    // Under the lock, after the read above: the insert cannot meet an existing account.
    await createUser(tx, {
      email: admin.email,
      name: "Administrator",
      passwordHash,
      roles: ["user", "admin"],
    });
    return "created";
  }
  const promote = !existing.roles.includes("admin");
  const rehash = !(await verifyPassword(existing.passwordHash, admin.password));
  if (!promote && !rehash) return "unchanged";
  await tx.query(
    `UPDATE users SET roles = CASE WHEN 'admin' = ANY(roles) THEN roles ELSE roles || '{admin}' END,
       password_hash = COALESCE($2, password_hash) WHERE id = $1`,
    [existing.id, rehash ? await hashPassword(admin.password) : null],
  );
  return "updated";
}
