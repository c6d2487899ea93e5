# Licensed under the Apache License, Version 2.0.
"""Installed over cinder/volume/drivers/linstordrv.py (after dpkg-divert), so the volume_driver
paths operators already configure (cinder.volume.drivers.linstordrv.LinstorDrbdDriver, ...) load
linstor-hv's driver."""

from linstor_hv_cinder.linstordrv import *  # noqa: F401,F403
from linstor_hv_cinder.linstordrv import LinstorBaseDriver  # noqa: F401
from linstor_hv_cinder.linstordrv import LinstorDriver  # noqa: F401
from linstor_hv_cinder.linstordrv import LinstorDrbdDriver  # noqa: F401
from linstor_hv_cinder.linstordrv import LinstorIscsiDriver  # noqa: F401
