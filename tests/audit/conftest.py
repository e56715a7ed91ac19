from tests.role_fixtures import manager_client, manager_user, ops_client, ops_user

__all__ = ["manager_client", "manager_user", "ops_client", "ops_user"]
