"""Sub-accounts (the seed's "Accessing Sub Accounts"): one per customer of a reseller.

A company that sends messages on behalf of its customers keeps each
customer in a sub-account: their own numbers, messages and bill. This script
opens a sub-account per customer (or finds it), gives each a number, sends
from it, prints a per-account report, and suspends a customer who stopped
paying. The last part is the seed's own code.

Runs against an embedded sandbox unless TWILIO_ACCOUNT_SID is set.
"""

import os

import twiliorm
from twiliorm import Account, AvailablePhoneNumber, IncomingPhoneNumber, Message, api
from twiliorm.sandbox import Sandbox

CUSTOMERS = ("Acme Dental", "Bright Smiles", "Corner Bakery")


def open_account(name):
    """The customer's sub-account, created the first time (FriendlyName=... then a POST)."""
    account, created = Account.objects.get_or_create(friendly_name=name)
    print(f"  {'opened' if created else 'found '} {account.sid} {name}")
    return account


def give_number(account, area_code):
    """Buy a number inside the sub-account: every query below runs there."""
    owned = IncomingPhoneNumber.objects.using(account=account.sid)
    number = owned.first()
    if number is None:
        available = AvailablePhoneNumber.objects.using(account=account.sid)
        number = available.filter(area_code=area_code).first().purchase()
    return number


def send_from(account, number, to, body):
    messages = Message.objects.using(account=account.sid)
    return messages.create(to=to, from_=number.phone_number, body=body)


def report():
    """Each account with its status and how many messages and numbers it has."""
    for account in Account.objects.all():
        messages = Message.objects.using(account=account.sid).count()
        numbers = IncomingPhoneNumber.objects.using(account=account.sid).count()
        status = str(account.status)
        print(f"  {account.friendly_name:20} {status:10} {messages} messages, {numbers} numbers")


def suspend(account):
    account.update(status="suspended")  # POST /2010-04-01/Accounts/AC....json Status=suspended
    return account


def with_the_seed_client(conn):
    """The seed's own code."""
    accounts = conn.accounts.list()
    for a in accounts:
        print(a.status)
    return accounts


def main():
    print("sub-accounts:")
    accounts = [open_account(name) for name in CUSTOMERS]
    for account, area_code in zip(accounts, (530, 415, 212), strict=True):
        number = give_number(account, area_code)
        send_from(account, number, "+15558675310", f"Your appointment at {account.friendly_name}")
    print("report:")
    report()
    late = suspend(accounts[-1])
    print(f"suspended {late.friendly_name}: {late.status}")

    conn = api.Client(client=twiliorm.default_client())
    with_the_seed_client(conn)
    first = conn.subaccount(accounts[0])
    print(f"{accounts[0].friendly_name} sent {first.sms.count()} message(s)")


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()
        main()
    else:
        with Sandbox() as sandbox:
            twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
            main()
