-- The name a labour was given when it was planned; labours begun without a plan, or mirrored before it, have none.
ALTER TABLE labours ADD COLUMN name text;
