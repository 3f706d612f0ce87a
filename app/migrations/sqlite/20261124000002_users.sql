-- Users of the example app. The two rows below are DEMO accounts with published passwords
-- (README: "Demo users"); never ship them in a real deployment.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_staff INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1))
);

-- alice@example.com / alice-password (Argon2id)
INSERT INTO users (id, email, name, password_hash, is_staff) VALUES (
    1, 'alice@example.com', 'Alice',
    '$argon2id$v=19$m=19456,t=2,p=1$oxRe0b0QQxctiAUXfQmi+Q$67Ml/fhZNLVklhEohyuZ+QoDfOdSApqqmT+D1yHBEvM', 0
);
-- admin@example.com / admin-password (Argon2id), staff
INSERT INTO users (id, email, name, password_hash, is_staff) VALUES (
    2, 'admin@example.com', 'Admin',
    '$argon2id$v=19$m=19456,t=2,p=1$+wxkjhIHKOt66qLP0yfipQ$VmUU03gvQZj26PryfE72q0tk96fScr2kgIYiPKk+RP8', 1
);
