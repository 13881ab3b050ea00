"""kiosk: a serial-number station for barcode scanners and thermal printers."""

__version__ = "0.1.0"
