# Licensed under the Apache License, Version 2.0.
"""linstor-hv's Cinder volume driver: `linstor_hv_cinder.linstordrv.LinstorDrbdDriver` and friends."""
