-- The channels news about the person goes by for this subscriber: those chosen for the subscription, or the
-- account's; rows mirrored before it take the account's, as the notifications did then.
ALTER TABLE subscriptions ADD COLUMN contact_methods text[];
UPDATE subscriptions AS subscription SET contact_methods = subscriber.contact_methods
    FROM subscribers AS subscriber WHERE subscriber.id = subscription.subscriber_id;
ALTER TABLE subscriptions ALTER COLUMN contact_methods SET NOT NULL;
