from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "relay.referrals"
    label = "referrals"
