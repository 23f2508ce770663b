from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shopstack.accounts"
    label = "accounts"
