-- Who follows each birthing person, in which role, and who asks to: from the person's record, which decides it (a
-- subscriber's `subscriptions` say whom they follow or asked to; this says whether the person approved, and how).
-- Its own table, written from the person's side only, as `subscriptions` is written from the subscriber's.
CREATE TABLE followers (
    birthing_person_id text NOT NULL,
    subscriber_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'approved')),
    role text CHECK (role IN ('birth_partner', 'friends_and_family')),  -- null while pending
    PRIMARY KEY (birthing_person_id, subscriber_id)
);
CREATE INDEX followers_of_subscriber ON followers (subscriber_id, birthing_person_id);
-- Everyone following before roles existed got every alert: a birth partner, as their record reads them too.
INSERT INTO followers (birthing_person_id, subscriber_id, status, role)
SELECT birthing_person_id, subscriber_id, 'approved', 'birth_partner' FROM subscriptions
ON CONFLICT DO NOTHING;
