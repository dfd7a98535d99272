"""Platform-wide file uploads: content-sniffed storage and signed, expiring download URLs."""
