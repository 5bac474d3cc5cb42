"""Configuration from LABOUR_TRACKER_* environment variables, validated once at start-up."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PostgresDsn, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from labour_tracker.domain.limits import LABOURS_BEGUN_KEPT, LABOURS_PER_DAY
from labour_tracker.domain.notification.destination import (
    MESSAGES_PER_DESTINATION_KEPT,
    MESSAGES_PER_DESTINATION_PER_HOUR,
)
from labour_tracker.messages.envelopes import RECENT_COMMANDS

ENV_PREFIX = "LABOUR_TRACKER_"
# Under Kafka's default limit (1 MiB per message, the producer's 1,000,000-byte requests) with room for the batch.
DEFAULT_MAX_MESSAGE_BYTES = 768 * 1024
LOCAL_SUBSCRIPTION_TOKEN_SECRET = "local-development-secret-change-me-0000"  # public: refused with an issuer set


@dataclass(frozen=True)
class KafkaConnection:
    """Where Kafka is and how to sign in to it: what every Kafka client of the service is given, the Faust app's
    (`sasl()`) and every aiokafka consumer, producer and admin client (`client_options()`)."""

    bootstrap: str
    sasl_mechanism: str | None = None  # None: PLAINTEXT, no sign-in
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)

    def sasl(self) -> dict[str, str] | None:
        """The SASL mechanism, user name and password; None without sign-in."""
        if self.sasl_mechanism is None:
            return None
        assert self.username is not None and self.password is not None, "the settings check both are given"
        return {
            "mechanism": self.sasl_mechanism,
            "username": self.username,
            "password": self.password.get_secret_value(),
        }

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of an aiokafka client: the bootstrap servers and the sign-in."""
        sasl = self.sasl()
        if sasl is None:
            return {"bootstrap_servers": self.bootstrap, "security_protocol": "PLAINTEXT"}
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": sasl["mechanism"],
            "sasl_plain_username": sasl["username"],
            "sasl_plain_password": sasl["password"],
        }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    app_id: str = Field("labour-tracker", description="Kafka consumer group and Faust application id.")
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma separated.")
    topic_prefix: str = Field("labour_tracker", pattern=r"^[A-Za-z0-9._-]+$", description="Prefix of every topic.")
    topic_partitions: int = Field(4, ge=1, le=1024, description="Partitions of command, event and table topics.")
    topic_replication_factor: int = Field(1, ge=1, le=16, description="Replication factor of created topics.")
    kafka_session_timeout: float = Field(10.0, gt=0, description="Consumer group session timeout, seconds.")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] | None = Field(
        None,
        description="How every Kafka client of the service signs in (SASL over plaintext; SCRAM never sends the "
        "password); unset: no sign-in, as the local stack runs.",
    )
    kafka_username: str | None = Field(None, min_length=1, description="The Kafka user it signs in as.")
    kafka_password: SecretStr | None = Field(None, description="That user's password.")
    database_url: PostgresDsn = Field(
        PostgresDsn("postgresql://labour_tracker@127.0.0.1:5432/labour_tracker"),
        description="PostgreSQL DSN of the mirror.",
    )
    mirror_schema: str = Field(
        "mirror", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="PostgreSQL schema the tables are mirrored into."
    )
    mirror_batch_size: int = Field(
        1000, ge=1, le=100_000, description="Most changes the mirror writes per transaction."
    )
    mirror_in_worker: bool = Field(
        True,
        description="Whether each worker follows the changelogs into PostgreSQL; false where `labour-tracker mirror "
        "follow` runs as a process of its own.",
    )
    web_host: str = Field("127.0.0.1", description="Address the HTTP server binds and announces.")
    web_port: int = Field(8000, ge=1, le=65535, description="Port of the HTTP server.")
    store: Literal["rocksdb://", "memory://"] = Field("rocksdb://", description="Faust table store.")
    data_dir: Path = Field(Path(".cache/worker"), description="Worker-local state (RocksDB tables).")
    reply_timeout: float = Field(10.0, gt=0, le=120, description="Seconds an HTTP call waits for an agent's reply.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body accepted, bytes.")
    max_message_bytes: int = Field(
        DEFAULT_MAX_MESSAGE_BYTES,
        ge=4096,
        le=DEFAULT_MAX_MESSAGE_BYTES,
        description="Largest message a command may write to Kafka (its record, an event), bytes: a command that "
        "would write a larger one is refused with `record_too_large`. Lower it to stay under a broker's smaller "
        "`message.max.bytes`; below 576 KiB (the largest record the limits allow) some persons are refused before "
        "they reach a limit.",
    )
    oidc_issuer: str | None = Field(
        None, description="OpenID Connect issuer URL; unset: trust the local signing key instead (local use only)."
    )
    oidc_audience: str = Field("labour-tracker", min_length=1, description="Audience every token must name.")
    oidc_clients: str = Field(
        "labour-tracker,labour-tracker-web",
        description="The issuer's clients (the `azp` claim), comma-separated, whose access tokens are accepted; "
        "empty: any client's.",
    )
    docs_client_id: str = Field(
        "labour-tracker-web",
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The issuer's public client that the API page (/docs) signs people in with (authorization code "
        "with PKCE), one of `OIDC_CLIENTS`; the client must allow the page's redirect URI, "
        "`<the workers' address>/docs/oauth2-redirect.html`, and its origin. Used only with an issuer.",
    )
    oidc_jwks_url: str | None = Field(
        None, description="JWKS URL; unset: discovered from the issuer's /.well-known/openid-configuration."
    )
    local_signing_key: Path = Field(
        Path(".cache/local-signing-key.pem"), description="Local RSA key for `labour-tracker token` (no issuer set)."
    )
    subscription_token_secret: str = Field(
        LOCAL_SUBSCRIPTION_TOKEN_SECRET,
        min_length=32,
        description="Server secret for subscription tokens (HMAC-SHA256), at least 32 characters. The default is "
        "public, for local use: with an issuer set, the worker refuses to start with it.",
    )
    subscribe_failure_limit: int = Field(
        10,
        ge=1,
        le=10_000,
        description="Wrong subscription tokens a subscriber, and a client address, may send within the window; "
        "further subscribes are answered 429 until the oldest failure leaves it. Counted by each worker alone.",
    )
    subscribe_failure_window: float = Field(
        600.0, gt=0, le=86_400, description="The sliding window of that limit, seconds."
    )
    labours_per_day: int = Field(
        LABOURS_PER_DAY,
        ge=0,
        le=LABOURS_BEGUN_KEPT,
        description="Labours one person may begin in 24 hours, by the service's clock (each begun and completed "
        "labour texts every subscriber); more are refused with 429 `labours_per_day_reached`. 0: no cap.",
    )
    commands_per_minute: int = Field(
        30,
        ge=0,
        le=RECENT_COMMANDS,
        description="Commands one user may send to their own record (as a person, and as a subscriber) in a "
        "minute; more are refused with 429 `too_many_commands` until the oldest is a minute old. Counted by the "
        "worker that owns the record, so it holds across workers. 0: no cap.",
    )
    messages_per_destination_per_hour: int = Field(
        MESSAGES_PER_DESTINATION_PER_HOUR,
        ge=0,
        le=MESSAGES_PER_DESTINATION_KEPT,
        description="Messages (news and confirmation codes, by SMS or email) one phone number or email address may "
        "be sent in any hour, whichever subscriber accounts carry it; one more is not sent, and its notification is "
        "recorded as failed with the reason `destination_cap_reached`. Counted on the partition of a keyed digest "
        "of the destination, so it holds across workers. 0: no cap.",
    )
    twilio_account_sid: str | None = Field(None, description="Twilio account SID; unset: SMS go to the local outbox.")
    twilio_auth_token: SecretStr | None = Field(None, description="Twilio auth token.")
    twilio_from_number: str | None = Field(None, description="The Twilio number SMS are sent from (E.164).")
    twilio_api_url: str = Field(
        "https://api.twilio.com", pattern=r"^https?://", description="Base URL of Twilio's REST API."
    )
    twilio_status_callback_url: str | None = Field(
        None,
        pattern=r"^https?://[^?#]+$",
        description="The public URL at which Twilio reaches this service's delivery status callback, as Twilio calls "
        "it through the proxy in front of the workers (e.g. `https://labour.example.org/api/v1/twilio/status`; no "
        "query). Set, each SMS asks Twilio to report there, and a report's `X-Twilio-Signature` is checked against "
        "it with the auth token. Unset, no reports are asked for, and any that come are refused (403).",
    )
    sms_outbox: Path = Field(
        Path(".cache/sms-outbox.jsonl"), description="Where SMS go (JSON lines) when no Twilio credentials are set."
    )
    sftp_host: str | None = Field(None, description="The mail relay's SFTP host; unset: emails go to the mail outbox.")
    sftp_port: int = Field(22, ge=1, le=65535, description="Its SFTP port.")
    sftp_username: str | None = Field(None, description="SFTP user name.")
    sftp_password: SecretStr | None = Field(None, description="SFTP password (or use a client key).")
    sftp_client_key: Path | None = Field(None, description="Private key file for SFTP public-key authentication.")
    sftp_known_hosts: Path | None = Field(
        None, description="known_hosts file holding the relay's host key; unset: ~/.ssh/known_hosts."
    )
    sftp_drop_dir: str = Field("pickup", min_length=1, description="The relay's pickup directory on the SFTP server.")
    mail_outbox: Path = Field(Path(".cache/mail-outbox"), description="Where .eml files go when no SFTP host is set.")
    email_from: str = Field(
        "Labour Tracker <notifications@labour-tracker.local>", description="The From address of notification emails."
    )
    notify_max_attempts: int = Field(
        6, ge=1, le=20, description="Calls made to Twilio or the SFTP server per notification before giving up."
    )
    notify_retry_delay: float = Field(
        0.5, gt=0, le=60, description="First wait before a retry, seconds; doubled each time, with jitter."
    )
    live_heartbeat: float = Field(
        15.0, gt=0, le=300, description="Seconds between heartbeats (comment lines) of a quiet live stream."
    )
    live_streams_per_user: int = Field(
        8, ge=1, le=1000, description="Live streams one user may have open on one worker (429 `too_many_streams`)."
    )
    live_streams_per_worker: int = Field(
        5000, ge=1, le=1_000_000, description="Live streams one worker serves at most (429 `live_streams_full`)."
    )

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port…], got {server!r}")
        return value

    @model_validator(mode="after")
    def _no_public_secret_with_an_issuer(self) -> Settings:
        if self.oidc_issuer and self.subscription_token_secret == LOCAL_SUBSCRIPTION_TOKEN_SECRET:
            raise ValueError(
                f"{ENV_PREFIX}SUBSCRIPTION_TOKEN_SECRET is the public default, for local use only: with "
                f"{ENV_PREFIX}OIDC_ISSUER set, give it a secret of your own"
            )
        return self

    @model_validator(mode="after")
    def _docs_client_accepted(self) -> Settings:
        if self.oidc_issuer and self.clients and self.docs_client_id not in self.clients:
            raise ValueError(
                f"{ENV_PREFIX}DOCS_CLIENT_ID {self.docs_client_id!r} is not among {ENV_PREFIX}OIDC_CLIENTS: the API "
                "page would sign people in for tokens the service refuses"
            )
        return self

    @model_validator(mode="after")
    def _complete_kafka_sign_in(self) -> Settings:
        given = [self.kafka_username is not None, self.kafka_password is not None]
        if self.kafka_sasl_mechanism and not all(given):
            raise ValueError(f"{ENV_PREFIX}KAFKA_SASL_MECHANISM needs {ENV_PREFIX}KAFKA_USERNAME and _PASSWORD too")
        if not self.kafka_sasl_mechanism and any(given):
            raise ValueError(
                f"{ENV_PREFIX}KAFKA_USERNAME and _PASSWORD are used only with {ENV_PREFIX}KAFKA_SASL_MECHANISM: set it"
            )
        return self

    @model_validator(mode="after")
    def _complete_channels(self) -> Settings:
        if self.twilio_account_sid and not (self.twilio_auth_token and self.twilio_from_number):
            raise ValueError(f"{ENV_PREFIX}TWILIO_ACCOUNT_SID needs {ENV_PREFIX}TWILIO_AUTH_TOKEN and _FROM_NUMBER too")
        if self.sftp_host and not self.sftp_username:
            raise ValueError(f"{ENV_PREFIX}SFTP_HOST needs {ENV_PREFIX}SFTP_USERNAME too")
        if self.sftp_host and not (self.sftp_password or self.sftp_client_key):
            raise ValueError(f"{ENV_PREFIX}SFTP_HOST needs {ENV_PREFIX}SFTP_PASSWORD or {ENV_PREFIX}SFTP_CLIENT_KEY")
        return self

    @property
    def kafka(self) -> KafkaConnection:
        return KafkaConnection(
            self.kafka_bootstrap, self.kafka_sasl_mechanism, self.kafka_username, self.kafka_password
        )

    @property
    def clients(self) -> frozenset[str]:
        return frozenset(each.strip() for each in self.oidc_clients.split(",") if each.strip())

    @property
    def reply_wait(self) -> timedelta:
        return timedelta(seconds=self.reply_timeout)


def load_settings() -> Settings:
    """The settings, or exit with one clear line for each bad variable (never a traceback)."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
            if problem["loc"]:
                print(f"labour-tracker: invalid {name}: {problem['msg']}", file=sys.stderr)
            else:  # a rule across variables: its message names them
                print(f"labour-tracker: {problem['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        raise SystemExit(2) from None
