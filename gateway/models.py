"""Every table, for migrations and tests: the core's, and each channel's through its adapter."""

from gateway.channels import ADAPTERS  # noqa: F401  (each adapter lists its channel's tables)
from gateway.mandates import models as mandate_models  # noqa: F401  (kept by the kiosk)
from gateway.staff import models as staff_models  # noqa: F401
from gateway.store import models  # noqa: F401
from mediation import models as mediation_models  # noqa: F401  (review claims)
