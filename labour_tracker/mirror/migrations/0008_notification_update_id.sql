-- The update a notification told of (`labour.update_posted` only), so that a resend finds its words as they are now.
-- Rows mirrored before it have none until their record changes again.
ALTER TABLE notifications ADD COLUMN update_id text;
