"""The Faust application: settings, Kafka, tables, agents and the web server wired in one place."""

from __future__ import annotations

from typing import Any

import faust

from labour_tracker.settings import Settings, load_settings


class LabourTrackerApp(faust.App):
    """A Faust app whose worker web server also serves the REST API."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.settings = settings
        super().__init__(
            settings.app_id,
            broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
            store=settings.store,
            datadir=str(settings.data_dir),
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=settings.topic_replication_factor,
            broker_session_timeout=settings.kafka_session_timeout,
            broker_heartbeat_interval=settings.kafka_session_timeout / 4,
            web_bind=settings.web_host,
            web_host=settings.web_host,
            web_port=settings.web_port,
            reply_create_topic=True,
            autodiscover=["labour_tracker.agents", "labour_tracker.tables"],
            origin="labour_tracker",
            **options,
        )

    def on_webserver_init(self, web: Any) -> None:
        from labour_tracker.http.server import mount

        mount(web.web_app, self.settings, self)


app = LabourTrackerApp(load_settings())
