"""The worker's composition root: the Faust app, its topics and tables, the agents, the mirror and the REST API,
built and wired in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labour_tracker import metrics
from labour_tracker.agents.api_ports import AgentCommandBus, SenderTopics, TableReader
from labour_tracker.agents.birthing_person import birthing_person_agent
from labour_tracker.agents.notification_destinations import notification_destinations
from labour_tracker.agents.notification_fanout import notification_fan_out
from labour_tracker.agents.notification_sender import notification_sender
from labour_tracker.agents.subscriber import subscriber_agent
from labour_tracker.agents.subscriptions import subscriptions
from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain.labour import BirthingPerson
from labour_tracker.domain.subscriber import Subscriber
from labour_tracker.engine.replies import Replies, TopicDirectory
from labour_tracker.http.birthing_person import BIRTHING_PERSON
from labour_tracker.http.server import mount
from labour_tracker.http.subscriber import SUBSCRIBER
from labour_tracker.introspection import table_pages
from labour_tracker.live.feed import LiveFeed
from labour_tracker.live.parts import hub_of
from labour_tracker.mirror.service import MirrorService
from labour_tracker.settings import Settings
from labour_tracker.tables.aggregates import Tables
from labour_tracker.topics import Topics


@dataclass(frozen=True)
class Worker:
    app: LabourTrackerApp
    topics: Topics
    tables: Tables
    agents: dict[str, Any]  # the command agents, by the aggregate they own


def build_worker(settings: Settings) -> Worker:
    app = LabourTrackerApp(settings)
    topics, tables = Topics.of(app), Tables.of(app)
    replies = Replies(app, topics.names, TopicDirectory(settings.kafka))  # shared by the command agents
    agents = {
        BIRTHING_PERSON: birthing_person_agent(app, topics, tables, replies),
        SUBSCRIBER: subscriber_agent(app, topics, tables, replies),
    }
    subscriptions(app, topics)
    notification_fan_out(app, topics, tables)
    notification_destinations(app, topics, tables)
    notification_sender(app, topics, tables)
    if settings.mirror_in_worker:  # else processes of its own mirror (`labour-tracker mirror follow`)
        app.service(MirrorService(settings, app.conf.id, topics.dead_letters))  # type: ignore[arg-type]
    hub = hub_of(settings)  # every worker reads every live message for the streams open on it
    live_topic = topics.birthing_person_live.get_topic_name()
    app.service(LiveFeed(settings.kafka, live_topic, hub, app.topics_declared))  # type: ignore[arg-type]
    commands = AgentCommandBus(app, agents, {BIRTHING_PERSON: BirthingPerson, SUBSCRIBER: Subscriber})
    aggregates = TableReader(app, {BIRTHING_PERSON: tables.birthing_persons, SUBSCRIBER: tables.subscribers})
    records = TableReader(
        app,
        {
            each.name: each
            for each in (tables.birthing_persons, tables.subscribers, tables.notifications, tables.destinations)
        },
    )

    def serve(web_app: Any) -> None:
        mount(
            web_app,
            settings,
            commands,
            aggregates,
            SenderTopics(topics.notification_reports, topics.notification_resends),
            hub,
        )  # the API, and Faust's pages for operators only
        web_app.middlewares.append(table_pages(records))  # inside the operators' check

    app.mount_api = serve
    metrics.watch_consumer(app)
    return Worker(app, topics, tables, agents)
