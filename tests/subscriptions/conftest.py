from tests.environment import process_settings

__all__ = ["process_settings"]
