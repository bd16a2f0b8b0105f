"""Integrations with frameworks; each module imports its framework, so import only yours.

- :mod:`twiliorm.contrib.django`: a Django app (the Twilio settings configure
  the client aliases, system checks report a bad configuration) and webhook
  views (``twilio_view``, ``TwilioWebhookView``, ``validate_twilio_request``)
  that answer 403 unless the request carries a valid X-Twilio-Signature.
- :mod:`twiliorm.contrib.dask`: reads on a ``dask.distributed`` cluster
  (``Connect`` makes an alias's client on every worker; ``export_each`` exports
  partitions or per-sub-account queries as tasks), the ``twiliorm[dask]`` extra.

Plain WSGI needs no framework: see :mod:`twiliorm.webhooks.wsgi`.
"""
