"""The situation-report contract that no service owns: file readers, parser, incident key, validation."""
