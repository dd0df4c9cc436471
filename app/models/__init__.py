"""The product's tables, one module per aggregate; importing this registers them all."""

from app.models.admin_user import AdminUser
from app.models.dashboard_stat import DashboardStat
from app.models.edition import Delivery, DeliveryStatus, DeliveryTally, Edition, EditionStatus
from app.models.event import Event, EventKind
from app.models.ingest_run import IngestRun, IngestRunStatus
from app.models.paper import Paper, PaperFeature, PaperLookup, PaperSnapshot
from app.models.reader_feedback import FeedbackKind, ReaderFeedback
from app.models.subscriber import Frequency, Subscriber, SubscriberStatus
from app.models.suppression import Suppression, SuppressionReason

__all__ = [
    "AdminUser",
    "DashboardStat",
    "Delivery",
    "DeliveryStatus",
    "DeliveryTally",
    "Edition",
    "EditionStatus",
    "Event",
    "EventKind",
    "FeedbackKind",
    "Frequency",
    "IngestRun",
    "IngestRunStatus",
    "Paper",
    "PaperFeature",
    "PaperLookup",
    "PaperSnapshot",
    "ReaderFeedback",
    "Subscriber",
    "SubscriberStatus",
    "Suppression",
    "SuppressionReason",
]
