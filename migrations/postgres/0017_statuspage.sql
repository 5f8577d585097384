-- Status pages (app/src/statuspage): the components customers see, which systems
-- show as which component, and each account's private page link.

-- A customer-facing component ("Checkout"), optionally in a group ("Payments").
CREATE TABLE status_components (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT   NOT NULL UNIQUE,
    name        TEXT   NOT NULL,
    group_name  TEXT   NOT NULL DEFAULT '',
    description TEXT   NOT NULL DEFAULT '',
    position    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A system shows on the status page as at most one component.
ALTER TABLE systems ADD COLUMN status_component_id BIGINT REFERENCES status_components (id);

-- SHA-256 of the account's private status page token: the link is shown once when
-- made, and rotating it makes the old one stop working at once.
ALTER TABLE accounts ADD COLUMN status_token_hash TEXT;
CREATE UNIQUE INDEX accounts_status_token_hash ON accounts (status_token_hash);

-- The page's own name, in one row.
CREATE TABLE status_page_settings (
    id         BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    name       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
