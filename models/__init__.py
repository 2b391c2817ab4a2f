"""SQLAlchemy models, one file per aggregate. Importing this package registers them all."""

from models.alerts import Alert, AlertSettings, DigestLog, Notification, NotifyPref
from models.brain_state import ActionDecision, BrainState, Narrative
from models.data import AdMetricDaily, Campaign, Connection, Creative, FxRate, Order
from models.events import OrgEvent
from models.flags import FeatureFlag
from models.imports import DataImport
from models.ops import AuditLog, ProcessedEvent, Subscription, SyncJob, UsageEvent
from models.org import Invite, Membership, Organization, User
from models.security import LoginSession, LoginThrottle

__all__ = [
    "ActionDecision",
    "Alert",
    "AlertSettings",
    "DigestLog",
    "Notification",
    "NotifyPref",
    "AdMetricDaily",
    "AuditLog",
    "BrainState",
    "Campaign",
    "Connection",
    "Creative",
    "FeatureFlag",
    "DataImport",
    "FxRate",
    "Invite",
    "LoginSession",
    "LoginThrottle",
    "Membership",
    "Narrative",
    "Order",
    "OrgEvent",
    "Organization",
    "ProcessedEvent",
    "Subscription",
    "SyncJob",
    "UsageEvent",
    "User",
]
