from tests.service.conftest import make_service, service

__all__ = ["make_service", "service"]
