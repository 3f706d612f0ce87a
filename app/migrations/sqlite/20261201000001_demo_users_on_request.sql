-- The demo accounts of 20261124000002_users.sql are no longer created by the migrations: the
-- server creates them at start only with MIZAN_DEMO_USERS=1 (`app::users::seed_demo_users`).
-- This removes the ones an earlier version created, but only while they still carry the
-- published password hash: an account whose password was changed is someone's, and is kept.
-- (users.id is AUTOINCREMENT, so ids 1 and 2 are never handed to anyone else.)
DELETE FROM users
WHERE (email = 'alice@example.com'
       AND password_hash = '$argon2id$v=19$m=19456,t=2,p=1$oxRe0b0QQxctiAUXfQmi+Q$67Ml/fhZNLVklhEohyuZ+QoDfOdSApqqmT+D1yHBEvM')
   OR (email = 'admin@example.com'
       AND password_hash = '$argon2id$v=19$m=19456,t=2,p=1$+wxkjhIHKOt66qLP0yfipQ$VmUU03gvQZj26PryfE72q0tk96fScr2kgIYiPKk+RP8');
