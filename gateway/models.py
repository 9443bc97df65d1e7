"""Import every module that defines tables, so migrations and tests see them all."""

from gateway.sms import models as sms_models  # noqa: F401
from gateway.staff import models as staff_models  # noqa: F401
from gateway.store import models  # noqa: F401
