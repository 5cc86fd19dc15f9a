"""Where reports and histories meet files and the embedded log."""
