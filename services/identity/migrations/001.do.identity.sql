-- Identity: users, the keys that sign access tokens, sessions with their rotating refresh
-- tokens, and API keys for signed requests. Secrets are stored hashed (what only has to be
-- recognised) or sealed with AES-256-GCM under the key-encryption key from the environment
-- (what has to be used again); a dump of this database alone neither logs in nor signs.

CREATE TABLE users (
  id            uuid        PRIMARY KEY,
  -- Normalised by the service (trimmed, NFC, lower case); unique: a second sign-up is ALREADY_EXISTS.
  email         text        NOT NULL UNIQUE CHECK (length(email) <= 254),
  name          text        NOT NULL,
  -- argon2id in PHC format: the parameters travel with the hash.
  password_hash text        NOT NULL,
  roles         text[]      NOT NULL DEFAULT ARRAY['user']
                            CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['user', 'admin']),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Ed25519 keys that sign access tokens. The newest key whose activates_at has passed signs;
-- a new key is published (in the JWKS) before it signs, and an old one stays published
-- until every token it signed has expired; then it is deleted.
CREATE TABLE signing_keys (
  kid          text        PRIMARY KEY,
  public_jwk   jsonb       NOT NULL,
  -- PKCS#8 DER of the private key, sealed under the key-encryption key (AAD: the kid).
  private_key  bytea       NOT NULL,
  created_at   timestamptz NOT NULL,
  activates_at timestamptz NOT NULL CHECK (activates_at >= created_at)
);

-- A session is one login: the family of refresh tokens rotated from it. Revoking it
-- (logout, or a spent refresh token presented again) ends every token of the family.
CREATE TABLE sessions (
  id             uuid        PRIMARY KEY,
  user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  revoked_reason text        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Refresh tokens are opaque random strings; only their SHA-256 is kept.
CREATE TABLE refresh_tokens (
  token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
  session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- Set when the token is exchanged; presenting it again is reuse.
  spent_at   timestamptz
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

-- API keys for signed requests. The secret is the HMAC key itself: its SHA-256 recognises
-- it (a leaked secret can be looked up and revoked), and the sealed copy is what the
-- gateway receives to verify signatures.
CREATE TABLE api_keys (
  id          text        PRIMARY KEY CHECK (id ~ '^ak_[A-Za-z0-9_-]{22}$'),
  user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        text        NOT NULL,
  secret_hash bytea       NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
  -- The HMAC-SHA256 key, sealed under the key-encryption key (AAD: the key id).
  signing_key bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);
