-- A world's time shift (now - as_of) is fixed when it is first loaded and reused on every reload, so
-- loading the same file hours later does not move its history past what the product did since.
CREATE TABLE world_clocks (
    as_of            timestamptz PRIMARY KEY,
    shift            interval NOT NULL,
    first_loaded_at  timestamptz NOT NULL
);
