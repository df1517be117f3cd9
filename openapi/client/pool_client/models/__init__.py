"""Contains all the data models used in inputs/outputs"""

from .account_create import AccountCreate
from .account_created import AccountCreated
from .account_out import AccountOut
from .area_total import AreaTotal
from .attempt_out import AttemptOut
from .audit_entry_out import AuditEntryOut
from .audit_page import AuditPage
from .clearing_out import ClearingOut
from .curve_point_out import CurvePointOut
from .delivery_out import DeliveryOut
from .delivery_status import DeliveryStatus
from .demand_page import DemandPage
from .endpoint_create import EndpointCreate
from .endpoint_create_subscribed_event_type import EndpointCreateSubscribedEventType
from .endpoint_out import EndpointOut
from .endpoint_status import EndpointStatus
from .endpoint_with_secret import EndpointWithSecret
from .event_out import EventOut
from .event_out_data import EventOutData
from .event_page import EventPage
from .field_error import FieldError
from .group_create import GroupCreate
from .group_demand import GroupDemand
from .group_kind import GroupKind
from .group_out import GroupOut
from .group_status import GroupStatus
from .health import Health
from .intent_create import IntentCreate
from .intent_out import IntentOut
from .intent_status import IntentStatus
from .key_created import KeyCreated
from .key_out import KeyOut
from .key_page import KeyPage
from .next_break_out import NextBreakOut
from .offer_in import OfferIn
from .offer_out import OfferOut
from .order_line_out import OrderLineOut
from .order_out import OrderOut
from .order_status import OrderStatus
from .page_attempt_out import PageAttemptOut
from .page_delivery_out import PageDeliveryOut
from .page_endpoint_out import PageEndpointOut
from .page_group_out import PageGroupOut
from .page_intent_out import PageIntentOut
from .page_offer_out import PageOfferOut
from .page_order_line_out import PageOrderLineOut
from .page_order_out import PageOrderOut
from .problem import Problem
from .role import Role
from .stream_group_response_200 import StreamGroupResponse200
from .stream_group_response_200_event import StreamGroupResponse200Event
from .tier import Tier
from .tier_volume_out import TierVolumeOut

__all__ = (
    "AccountCreate",
    "AccountCreated",
    "AccountOut",
    "AreaTotal",
    "AttemptOut",
    "AuditEntryOut",
    "AuditPage",
    "ClearingOut",
    "CurvePointOut",
    "DeliveryOut",
    "DeliveryStatus",
    "DemandPage",
    "EndpointCreate",
    "EndpointCreateSubscribedEventType",
    "EndpointOut",
    "EndpointStatus",
    "EndpointWithSecret",
    "EventOut",
    "EventOutData",
    "EventPage",
    "FieldError",
    "GroupCreate",
    "GroupDemand",
    "GroupKind",
    "GroupOut",
    "GroupStatus",
    "Health",
    "IntentCreate",
    "IntentOut",
    "IntentStatus",
    "KeyCreated",
    "KeyOut",
    "KeyPage",
    "NextBreakOut",
    "OfferIn",
    "OfferOut",
    "OrderLineOut",
    "OrderOut",
    "OrderStatus",
    "PageAttemptOut",
    "PageDeliveryOut",
    "PageEndpointOut",
    "PageGroupOut",
    "PageIntentOut",
    "PageOfferOut",
    "PageOrderLineOut",
    "PageOrderOut",
    "Problem",
    "Role",
    "StreamGroupResponse200",
    "StreamGroupResponse200Event",
    "Tier",
    "TierVolumeOut",
)
