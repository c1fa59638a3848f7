"""Arbitrary stateful processing with applyInPandasWithState: the Spark side of group-state.test.ts."""
import pandas as pd
from pyspark.sql.streaming.state import GroupStateTimeout

OUTPUT = 'user STRING, events LONG, last LONG, status STRING'
STATE = 'events LONG, last LONG'
TEN_MINUTES_MS = 10 * 60 * 1000


def _epoch_ms(series):
    return int(series.max().value // 1_000_000)


def _expiring_sessions(key, pdfs, state):
    if state.hasTimedOut:
        events, last = state.get
        state.remove()
        yield pd.DataFrame({'user': [key[0]], 'events': [events], 'last': [last], 'status': ['expired']})
        return
    events, last = state.get if state.exists else (0, 0)
    for pdf in pdfs:
        events += len(pdf)
        last = max(last, _epoch_ms(pdf['ts']))
    state.update((events, last))
    state.setTimeoutTimestamp(last + TEN_MINUTES_MS)
    yield pd.DataFrame({'user': [key[0]], 'events': [events], 'last': [last], 'status': ['active']})


def event_time_timeout_append(src):
    return (src.stream('clicks').withWatermark('ts', '5 minutes').groupBy('user')
            .applyInPandasWithState(_expiring_sessions, OUTPUT, STATE, 'append', GroupStateTimeout.EventTimeTimeout))


def event_time_timeout_update(src):
    return (src.stream('clicks').withWatermark('ts', '5 minutes').groupBy('user')
            .applyInPandasWithState(_expiring_sessions, OUTPUT, STATE, 'update', GroupStateTimeout.EventTimeTimeout))


def _running_count(key, pdfs, state):
    events = state.get[0] if state.exists else 0
    for pdf in pdfs:
        events += len(pdf)
    state.update((events,))
    yield pd.DataFrame({'user': [key[0]], 'events': [events]})


def running_count_update(src):
    return (src.stream('clicks').groupBy('user')
            .applyInPandasWithState(_running_count, 'user STRING, events LONG', 'events LONG', 'update', GroupStateTimeout.NoTimeout))
