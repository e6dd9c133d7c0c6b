"""ECG-Chat Desktop: an offline clinical ECG workstation."""

__version__ = "0.1.0"
