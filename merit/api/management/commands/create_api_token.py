"""manage.py create_api_token USER NAME: a personal API token for scripts, printed once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from merit.api.auth import issue_token


class Command(BaseCommand):
    help = "Create a personal API token (Authorization: Bearer <token>) for USER; the token is printed once."

    def add_arguments(self, parser):
        parser.add_argument("user", help="the user name")
        parser.add_argument("name", help='what the token is for, e.g. "nightly import"')

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"没有用户 {options['user']} No such user: {options['user']!r}")
        if not user.is_active:
            raise CommandError(f"用户已停用 The user {options['user']!r} is inactive")
        row, plain = issue_token(user, options["name"])
        self.stderr.write(f"令牌 {row.name}（{row.prefix}…）只显示这一次 shown this once, keep it safe:")
        self.stdout.write(plain)
