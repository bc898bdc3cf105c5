from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "merit.tickets"
    label = "tickets"
    verbose_name = "售后工单 after-sales desk"
