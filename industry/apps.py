from django.apps import AppConfig


class IndustryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "industry"
    verbose_name = "行业资讯"
