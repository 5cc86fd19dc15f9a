"""hrcase services: intake, casework and sla_monitor, with the messaging they share."""
