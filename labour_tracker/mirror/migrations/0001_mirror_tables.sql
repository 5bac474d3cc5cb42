-- The mirror of the aggregate tables. Each aggregate row carries the version it was written at: an update
-- lands only when it is newer, so redelivered and out-of-order changelog records change nothing.

CREATE TABLE birthing_persons (
    id text PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    subscription_token_version integer NOT NULL,
    version bigint NOT NULL,
    changed_at timestamptz NOT NULL,  -- when the worker recorded this version
    mirrored_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE labours (
    id text PRIMARY KEY,
    birthing_person_id text NOT NULL REFERENCES birthing_persons (id),
    first_labour boolean NOT NULL,
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    phase text NOT NULL,
    notes text,
    alerts text[] NOT NULL,
    version bigint NOT NULL  -- the person's version this row was written at
);
CREATE INDEX labours_of_person ON labours (birthing_person_id, start_time DESC, id DESC);

CREATE TABLE contractions (
    id text PRIMARY KEY,
    labour_id text NOT NULL REFERENCES labours (id),
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    intensity smallint CHECK (intensity BETWEEN 1 AND 10),
    notes text,
    version bigint NOT NULL
);
CREATE INDEX contractions_of_labour ON contractions (labour_id, start_time);

CREATE TABLE subscribers (
    id text PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    phone_number text,
    email text,
    contact_methods text[] NOT NULL,
    version bigint NOT NULL,
    changed_at timestamptz NOT NULL,
    mirrored_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- From each subscriber's `subscribed_to`, the source of truth; the person may be mirrored after the subscriber.
CREATE TABLE subscriptions (
    subscriber_id text NOT NULL REFERENCES subscribers (id),
    birthing_person_id text NOT NULL,
    PRIMARY KEY (subscriber_id, birthing_person_id)
);
CREATE INDEX subscriptions_of_person ON subscriptions (birthing_person_id, subscriber_id);

CREATE TABLE notifications (
    id text PRIMARY KEY,
    event_id text NOT NULL,
    event_type text NOT NULL,
    birthing_person_id text NOT NULL,
    labour_id text NOT NULL,
    subscriber_id text NOT NULL,
    channel text NOT NULL,
    destination text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    provider_id text,
    reason text,
    attempts integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    changed_at timestamptz NOT NULL,
    mirrored_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX notifications_of_subscriber ON notifications (subscriber_id, created_at);
CREATE INDEX notifications_of_event ON notifications (event_id);
