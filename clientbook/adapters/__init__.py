"""File formats in and out of clientbook: outside data read into what the commands take (the UCI
card CSV), and the book's data in another's columns (the CFPB complaint export)."""

from clientbook.adapters.uci_cards import read_holders, read_uci_file
from clientbook.application.uci_import import CURRENCY as UCI_CURRENCY
from clientbook.application.uci_import import LAST_DAY as UCI_LAST_DAY

__all__ = ["UCI_CURRENCY", "UCI_LAST_DAY", "read_holders", "read_uci_file"]
