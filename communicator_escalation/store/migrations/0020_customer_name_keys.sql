-- Customer resolution by index: the comparison keys of every name (store/name_keys.py), written by the
-- world loader on every upsert; rows written before this migration get them at the next start
-- (migrate.py), and rows written by other means are resolved from memory until then.
ALTER TABLE customers ADD COLUMN name_key text;
ALTER TABLE customers ADD COLUMN name_base_key text;
ALTER TABLE customers ADD COLUMN name_grams text[];
CREATE INDEX customers_name_key_idx ON customers (name_key text_pattern_ops);
CREATE INDEX customers_name_base_key_idx ON customers (name_base_key);
CREATE INDEX customers_name_grams_idx ON customers USING gin (name_grams);
CREATE INDEX customers_lower_id_idx ON customers (lower(id));
CREATE INDEX customers_unkeyed_idx ON customers (id) WHERE name_key IS NULL;

-- Who reaches a customer (access.reach_filter): one index per team column and the staff's managers.
CREATE INDEX customers_account_executive_idx ON customers (account_executive_id);
CREATE INDEX customers_support_lead_idx ON customers (support_lead_id);
CREATE INDEX customers_executive_sponsor_idx ON customers (executive_sponsor_id);
CREATE INDEX staff_manager_idx ON staff (manager_id);
