"""moto's server for avisa's local stack, with changes of speed, none of behaviour.

1. It exits when its standard input closes, i.e. when the process that started it ends, however
   it ends (even killed): a test run that dies leaves no moto behind.
2. moto's DynamoDB answers every Query by sorting the whole table (`Table.all_items`), so one
   Query costs O(n log n) in the table's size and a city-scale run spends most of its time there.
   DynamoDB reads one partition. Here a Query on the table's key reads only its partition, and a
   Query on an index walks the items unsorted (moto sorts what matched afterwards either way).
   Scans, exports and pagination keep moto's sorted order.
3. moto's SQS works out "now" as utcnow() - utcfromtimestamp(0), two datetimes, for every message
   of a queue on every receive (visibility, delay, retention); here it is time.time(), the same
   number read directly.
4. Every request lists moto's package directory (to tell a service name from a host) and inspects
   its response class's methods; both answers never change while the server runs, so each is
   worked out once.
5. moto's SQS deletes a message by asking every message of its queue, twice, whether it ever had
   the receipt handle, so a queue of n messages costs O(n) Python calls a delete and a send to
   50,000 people hours. Here each handle a message is given is remembered, and a delete finds its
   message at once (a handle not remembered, or another queue's, goes moto's way: the same error).
6. The server logs a line for every request (a tenth of its time at city scale); the proxy in
   front of it records the calls, so only warnings and errors are logged.
7. For every message it hands out, moto's SQS checks its retention by reading all the queue's
   attributes, its message counts among them (each a pass over the queue): O(n) a message
   received. Here the retention period is read alone.
8. Every send asks its queue's attributes whether it deduplicates by content, and moto works out
   every attribute to answer, its three message counts among them: O(n) a message sent. Here a
   queue's attributes are each worked out when asked for (all of them when all are asked for).
9. Every receive lists every visible message of its queue (two clock reads a message) before
   taking the first ten; here a receive walks the queue only as far as it takes.
"""

import functools
import json
import os
import sys
import threading
import time
from collections.abc import Mapping

from moto import backends
from moto.core import responses
from moto.core import utils as core_utils
from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.models.table import Table
from moto.sqs import models as sqs_models
from moto.server import main
from werkzeug.serving import WSGIRequestHandler

_query_scope = threading.local()
_all_items_sorted = Table.all_items
_query = Table.query


def _all_items(self):
    scope = getattr(_query_scope, "value", None)
    if scope is None:
        return _all_items_sorted(self)
    if scope[0] == "partition":
        # `.get`: `items` is a defaultdict, and a Query must not create a partition
        partition = self.items.get(scope[1])
        if partition is None:
            return []
        return list(partition.values()) if self.range_key_attr else [partition]
    items = []
    for hash_set in self.items.values():
        if self.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    return items


def _query_in_scope(self, hash_key, *args, **kwargs):
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    _query_scope.value = ("index", None) if index_name else ("partition", hash_key)
    try:
        return _query(self, hash_key, *args, **kwargs)
    finally:
        _query_scope.value = None


Table.all_items = _all_items
Table.query = _query_in_scope

_unix_time = core_utils.unix_time


def _unix_time_fast(dt=None):
    # moto's unix_time(None) is utcnow() - utcfromtimestamp(0): time.time(), built the long way
    return time.time() if dt is None else _unix_time(dt)


def _unix_time_millis_fast(dt=None):
    return _unix_time_fast(dt) * 1000.0


for module in (core_utils, sqs_models):
    module.unix_time = _unix_time_fast
    module.unix_time_millis = _unix_time_millis_fast

_list_moto_modules = backends.list_of_moto_modules
_moto_modules = functools.cache(lambda: tuple(_list_moto_modules()))
backends.list_of_moto_modules = _moto_modules
_list_method_names = responses.method_names_from_class
_method_names = functools.cache(lambda clazz: tuple(_list_method_names(clazz)))
responses.method_names_from_class = lambda clazz: list(_method_names(clazz))


_message_of_handle = {}
_mark_received = sqs_models.Message.mark_received
_delete_message_scanning = sqs_models.Queue.delete_message


def _mark_received_remembered(self, *args, **kwargs):
    _mark_received(self, *args, **kwargs)
    _message_of_handle[self.receipt_handle] = self


def _delete_message_found(self, receipt_handle):
    if receipt_handle in self.deleted_messages:
        return
    message = _message_of_handle.get(receipt_handle)
    try:
        # identity: a message has no __eq__ of its own
        position = self._messages.index(message) if message is not None else -1
    except ValueError:
        position = -1
    if position < 0:
        return _delete_message_scanning(self, receipt_handle)
    # a new list, as moto builds one: a receive iterating the old one is not disturbed
    self._messages = self._messages[:position] + self._messages[position + 1 :]
    self.pending_messages.discard(message)
    self.deleted_messages.update(message.all_receipt_handles)
    for handle in message.all_receipt_handles:
        _message_of_handle.pop(handle, None)


WSGIRequestHandler.log_request = lambda self, code="-", size="-": None

def _within_retention(self, queue_name, message):
    retention_period = self.get_queue(queue_name).message_retention_period
    return retention_period + message.sent_timestamp / 1000 > sqs_models.unix_time()


sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _within_retention
sqs_models.Message.mark_received = _mark_received_remembered
sqs_models.Queue.delete_message = _delete_message_found


class _QueueAttributes(Mapping):
    """A queue's attributes as moto's `Queue.attributes` lists them, each worked out when read."""

    def __init__(self, queue):
        self._queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            names += queue.KMS_ATTRIBUTES
        self._names = names

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name == "RedrivePolicy" and self._queue.redrive_policy:
            return json.dumps(self._queue.redrive_policy)
        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


class _VisibleMessages:
    """A queue's visible messages, found as a receive walks them."""

    def __init__(self, messages):
        self._messages = messages

    def __iter__(self):
        return (m for m in self._messages if m.visible and not m.delayed)

    def __bool__(self):
        return any(True for _ in self)

    def __len__(self):
        return sum(1 for _ in self)


sqs_models.Queue.attributes = property(_QueueAttributes)
sqs_models.Queue.messages = property(lambda self: _VisibleMessages(self._messages))


def _exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
main(sys.argv[1:])
