# QEMU boot tests.
