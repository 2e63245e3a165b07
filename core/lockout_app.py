from axes.apps import AppConfig as AxesAppConfig


class LoginLockoutConfig(AxesAppConfig):
    """django-axes (the login lockout, core.lockout), under a Chinese name in the admin.
    Its models' and fields' names are translated in locale/zh_Hans (axes ships no Chinese)."""

    verbose_name = "登录保护"
