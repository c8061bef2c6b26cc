"""Runs each engine command on the engine thread: one handler per command type (softphone/commands.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from softphone import commands as c
from softphone.runtime import Runtime

T = TypeVar("T")
Handler = Callable[[Runtime, Any], Any]

HANDLERS: dict[type[c.Command[Any]], Handler] = {
    c.LocalSipPort: lambda rt, cmd: rt.stack.local_ports[cmd.transport],
    c.HandleNetworkChange: lambda rt, cmd: rt.accounts.handle_network_change(),
    c.AddAccount: lambda rt, cmd: rt.accounts.add(cmd.account),
    c.ModifyAccount: lambda rt, cmd: rt.accounts.modify(cmd.account),
    c.RemoveAccount: lambda rt, cmd: rt.remove_account(cmd.account_id),
    c.MakeCall: lambda rt, cmd: rt.calls.make_call(cmd.account_id, cmd.target, cmd.hotline),
    c.Answer: lambda rt, cmd: rt.calls.answer(cmd.call_id),
    c.Decline: lambda rt, cmd: rt.calls.decline(cmd.call_id, cmd.code),
    c.Hangup: lambda rt, cmd: rt.calls.hangup(cmd.call_id),
    c.Hold: lambda rt, cmd: rt.calls.hold(cmd.call_id),
    c.Resume: lambda rt, cmd: rt.calls.resume(cmd.call_id),
    c.SetMute: lambda rt, cmd: rt.calls.set_mute(cmd.call_id, cmd.muted),
    c.SendDtmf: lambda rt, cmd: rt.calls.send_dtmf(cmd.call_id, cmd.digits, cmd.method),
    c.CallDuration: lambda rt, cmd: rt.calls.duration(cmd.call_id),
    c.GetCallStats: lambda rt, cmd: rt.calls.stats(cmd.call_id),
    c.BlindTransfer: lambda rt, cmd: rt.calls.blind_transfer(cmd.call_id, cmd.target),
    c.AttendedTransfer: lambda rt, cmd: rt.calls.attended_transfer(cmd.call_id, cmd.consult_call_id),
    c.MergeConference: lambda rt, cmd: rt.calls.merge_conference(tuple(cmd.call_ids)),
    c.SplitConference: lambda rt, cmd: rt.calls.split_conference(cmd.call_id),
    c.StartRecording: lambda rt, cmd: _on_call(rt, cmd.call_id).start_recording(cmd.call_id, str(cmd.path)),
    c.StopRecording: lambda rt, cmd: _on_call(rt, cmd.call_id).stop_recording(cmd.call_id),
    c.StartMonitor: lambda rt, cmd: rt.calls.routing.start_monitor(str(cmd.path)),
    c.StopMonitor: lambda rt, cmd: rt.calls.routing.stop_monitor(),
    c.PlayWav: lambda rt, cmd: _on_call(rt, cmd.call_id).play_wav(cmd.call_id, str(cmd.path), cmd.loop),
    c.PlayTone: lambda rt, cmd: _on_call(rt, cmd.call_id).play_tone(cmd.call_id, cmd.freq_hz),
    c.StopPlayback: lambda rt, cmd: _on_call(rt, cmd.call_id).stop_sources(cmd.call_id),
    c.SetLocalSource: lambda rt, cmd: rt.calls.routing.set_local_source(cmd.tone_hz, cmd.wav_path, cmd.loop),
    c.SetDnd: lambda rt, cmd: setattr(rt.calls, "dnd", cmd.enabled),
    c.SetAutoAnswer: lambda rt, cmd: rt.calls.set_auto_answer(cmd.enabled, cmd.delay_s),
    c.SendMessage: lambda rt, cmd: rt.buddies.send_message(cmd.account_id, cmd.to_uri, cmd.text),
    c.SubscribePresence: lambda rt, cmd: rt.buddies.subscribe(cmd.account_id, cmd.uri),
    c.UnsubscribePresence: lambda rt, cmd: rt.buddies.unsubscribe(cmd.account_id, cmd.uri),
    c.PublishPresence: lambda rt, cmd: rt.accounts.publish_presence(cmd.account_id, cmd.status, cmd.note),
    c.SetAudioDevices: lambda rt, cmd: rt.sound.set_devices(cmd.input, cmd.output, cmd.ringer),
    c.ListAudioDevices: lambda rt, cmd: rt.sound.list_devices(),
    c.SetMicMeter: lambda rt, cmd: setattr(rt.sound, "mic_meter_wanted", cmd.enabled),
    c.SetAudioProcessing: lambda rt, cmd: rt.sound.set_processing(
        cmd.echo_cancellation, cmd.noise_suppression, cmd.auto_gain
    ),
    c.PlayMessage: lambda rt, cmd: rt.sound.play_message(cmd.path),
    c.StopMessage: lambda rt, cmd: rt.sound.stop_message(),
    c.TestRingtone: lambda rt, cmd: rt.sound.test_ringtone(cmd.wav_path, cmd.volume, cmd.seconds),
    c.TestSpeaker: lambda rt, cmd: rt.sound.test_speaker(),
    c.GetCodecs: lambda rt, cmd: rt.stack.codec_names(),
}


def _on_call(rt: Runtime, call_id: str) -> Any:
    """The routing component, after checking the call exists (an unknown call is the caller's error)."""
    rt.calls.get(call_id)
    return rt.calls.routing


def run(rt: Runtime, cmd: c.Command[T]) -> T:
    handler = HANDLERS.get(type(cmd))
    if handler is None:
        raise TypeError(f"no handler for engine command {type(cmd).__name__}")
    result: T = handler(rt, cmd)
    return result
