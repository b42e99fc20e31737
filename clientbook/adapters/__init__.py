"""File formats in and out of clientbook: outside data read into what the commands take."""
