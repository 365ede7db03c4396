// The officer page's script. The page works without it (upload and paste are plain
// forms, a desk scanner types into the text field and its Enter submits it, the verdict
// is rendered on the server); it adds:
// - camera scanning: frames go to POST /api/v1/scan (the server's QR decoder), and the
//   decoded text opens the server-rendered answer (a verdict, or "not an export
//   certificate"); a torch and a camera switch where the device has them; camera errors
//   in words that say what to do;
// - desk (keyboard-wedge) scanners anywhere on the page: a burst of typing that ends with
//   Enter, while no field has the focus, verifies what was typed, so a scan while a
//   verdict is shown starts the next verification;
// - the verdict announced to screen readers, and a print button;
// - the officer token (kept in this tab's sessionStorage only) and, on a verdict, the
//   buttons that record an exit or a return through the JSON API.
(function () {
  'use strict';

  const lang = document.body.dataset.lang || 'en';
  const TOKEN_KEY = 'cartouche.officer';
  let texts = {};

  function t(key) {
    return texts[key] || key;
  }

  async function loadTexts() {
    try {
      const response = await fetch(`/assets/i18n/${lang}.json`);
      if (response.ok) texts = await response.json();
    } catch (_) {
      // Keys stay visible; the page still works.
    }
  }

  function officerToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  async function apiError(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) {
      // not JSON
    }
    return `HTTP ${response.status}`;
  }

  // ---------------------------------------------------------------- camera

  const FRAME_INTERVAL_MS = 400;
  const MAX_FRAME_WIDTH = 960;

  // What to tell the officer when the camera does not start, by the error's name.
  function cameraError(error) {
    const name = error && error.name;
    if (name === 'NotAllowedError' || name === 'PermissionDeniedError') {
      return window.isSecureContext === false ? t("verify.scan.error.insecure") : t("verify.scan.error.denied");
    }
    if (name === 'SecurityError') return t("verify.scan.error.insecure");
    if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
      return t("verify.scan.error.not_found");
    }
    if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
      return t("verify.scan.error.in_use");
    }
    return t("verify.scan.error.other");
  }

  function setupScanner() {
    const section = document.getElementById('scan');
    if (!section) return;
    const hint = document.getElementById('scan-needs-js');
    const scanner = section.querySelector('.scanner');
    const video = document.getElementById('scan-video');
    const start = document.getElementById('scan-start');
    const stop = document.getElementById('scan-stop');
    const torch = document.getElementById('scan-torch');
    const switcher = document.getElementById('scan-switch');
    const status = document.getElementById('scan-status');
    if (hint) hint.hidden = true;
    scanner.hidden = false;
    video.hidden = true; // shown while the camera runs
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = window.isSecureContext === false ? t("verify.scan.error.insecure") : t("verify.scan.no_camera");
      start.disabled = true;
      return;
    }
    let stream = null;
    let timer = null;
    let busy = false;
    let cameras = []; // video inputs, once the permission is given
    let cameraIndex = -1; // -1: the back camera the browser picks
    let torchOn = false;
    const canvas = document.createElement('canvas');

    function halt() {
      if (timer) clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.srcObject = null;
      video.hidden = true;
      start.hidden = false;
      stop.hidden = true;
      torch.hidden = true;
      switcher.hidden = true;
      torchOn = false;
      torch.setAttribute('aria-pressed', 'false');
    }

    async function frame() {
      if (busy || !stream || video.readyState < 2 || !video.videoWidth) return;
      busy = true;
      try {
        const scale = Math.min(1, MAX_FRAME_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
        if (!blob || !stream) return;
        const response = await fetch('/api/v1/scan', {
          method: 'POST',
          headers: { 'Content-Type': 'image/jpeg' },
          body: blob,
        });
        if (response.ok) {
          const body = await response.json();
          status.textContent = t("verify.scan.found");
          halt();
          window.location.assign(verifyUrl(body.qr));
          return;
        }
        if (response.status === 422) return; // no QR code in this frame yet
        status.textContent = await apiError(response);
        if (response.status !== 429) halt();
      } catch (error) {
        status.textContent = String(error);
        halt();
      } finally {
        busy = false;
      }
    }

    // The torch, where the camera has one (phones' back cameras, in Chromium).
    function offerTorch() {
      const track = stream && stream.getVideoTracks()[0];
      const capabilities = track && typeof track.getCapabilities === 'function' ? track.getCapabilities() : {};
      torch.hidden = !(capabilities && capabilities.torch);
    }

    async function offerSwitch() {
      try {
        const devices = await navigator.mediaDevices.enumerateDevices();
        cameras = devices.filter((device) => device.kind === 'videoinput');
      } catch (_) {
        cameras = [];
      }
      switcher.hidden = cameras.length < 2;
    }

    async function begin() {
      status.textContent = '';
      const videoConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };
      if (cameraIndex >= 0 && cameras[cameraIndex]) videoConstraints.deviceId = { exact: cameras[cameraIndex].deviceId };
      else videoConstraints.facingMode = { ideal: 'environment' };
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraints, audio: false });
      } catch (error) {
        status.textContent = cameraError(error);
        start.focus();
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      await video.play().catch(() => {});
      start.hidden = true;
      stop.hidden = false;
      offerTorch();
      await offerSwitch();
      status.textContent = t("verify.scan.looking");
      timer = setInterval(frame, FRAME_INTERVAL_MS);
      frame(); // the first frame now, not an interval later
    }

    torch.addEventListener('click', async () => {
      const track = stream && stream.getVideoTracks()[0];
      if (!track) return;
      try {
        await track.applyConstraints({ advanced: [{ torch: !torchOn }] });
        torchOn = !torchOn;
        torch.setAttribute('aria-pressed', String(torchOn));
      } catch (_) {
        torch.hidden = true; // the device refused: do not offer it again
      }
    });

    switcher.addEventListener('click', async () => {
      if (cameras.length < 2) return;
      const current = stream && stream.getVideoTracks()[0] && stream.getVideoTracks()[0].getSettings().deviceId;
      const at = cameras.findIndex((camera) => camera.deviceId === current);
      cameraIndex = (at + 1) % cameras.length;
      halt();
      await begin();
    });

    start.addEventListener('click', begin);
    stop.addEventListener('click', halt);
    window.addEventListener('pagehide', halt);
    if (new URLSearchParams(window.location.search).get('scan') === '1') begin();
  }

  // The server's answer to a scanned or typed text (a verdict, or "not an export
  // certificate"), with this page's checkpoint options.
  function verifyUrl(qr) {
    const params = new URLSearchParams({ lang, qr: String(qr).trim() });
    const here = new URLSearchParams(window.location.search);
    const checkpoint = document.getElementById('paste-checkpoint');
    const country = checkpoint ? checkpoint.value.trim() : here.get('checkpoint_country') || '';
    if (country) params.set('checkpoint_country', country.toUpperCase());
    const importCheck = document.querySelector('#paste-qr ~ details .import-check');
    if (importCheck ? importCheck.checked : here.get('import_check') === '1') params.set('import_check', '1');
    return `/verify?${params}`;
  }

  // ---------------------------------------------------------------- desk scanners

  // A desk scanner is a keyboard: it types the QR text, then Enter. Typed into the text
  // field, the form's own submit does the rest. Typed while no field has the focus (a
  // verdict on screen, nothing clicked), the keys are gathered here; Enter after enough
  // of them verifies. Nobody types twenty characters into nothing and presses Enter, so
  // no timing is needed; a pause of a second forgets stray keys.
  const WEDGE_MIN_CHARS = 20;
  const WEDGE_FORGET_MS = 1000;

  function editable(element) {
    if (!element) return false;
    const tag = element.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || element.isContentEditable;
  }

  function setupWedge() {
    let typed = '';
    let last = 0;
    document.addEventListener(
      'keydown',
      (event) => {
        if (event.ctrlKey || event.metaKey || event.altKey || editable(event.target)) return;
        const now = Date.now();
        if (now - last > WEDGE_FORGET_MS) typed = '';
        last = now;
        if (event.key === 'Enter') {
          if (typed.length >= WEDGE_MIN_CHARS) {
            event.preventDefault();
            event.stopPropagation();
            const text = typed;
            typed = '';
            announce(t("verify.wedge.reading"));
            window.location.assign(verifyUrl(text));
          }
          typed = '';
          return;
        }
        if (event.key.length === 1) typed += event.key;
      },
      true,
    );
  }

  // ---------------------------------------------------------------- verdict

  function announce(text) {
    const live = document.getElementById('live');
    if (!live) return;
    live.textContent = '';
    // After a tick, so that screen readers see a change.
    setTimeout(() => {
      live.textContent = text;
    }, 100);
  }

  function setupVerdict() {
    const banner = document.getElementById('verdict');
    if (banner) {
      const word = banner.querySelector('.word');
      announce(banner.dataset.announce || (word ? word.textContent : ''));
    }
    const print = document.getElementById('print-check');
    if (print) {
      print.hidden = false;
      print.addEventListener('click', () => window.print());
    }
  }

  // ---------------------------------------------------------------- officer token

  function setupOfficerToken() {
    const section = document.getElementById('officer');
    if (!section) return;
    section.hidden = false;
    const form = document.getElementById('officer-form');
    const input = document.getElementById('officer-token');
    const forget = document.getElementById('officer-forget');
    const state = document.getElementById('officer-state');
    function show() {
      const set = officerToken() !== '';
      forget.hidden = !set;
      input.value = '';
      state.textContent = set ? t("officer.signed_in") : '';
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      try {
        sessionStorage.setItem(TOKEN_KEY, value);
      } catch (_) {
        // storage refused (private mode): the token is not kept
      }
      show();
    });
    forget.addEventListener('click', () => {
      try {
        sessionStorage.removeItem(TOKEN_KEY);
      } catch (_) {
        // nothing kept
      }
      show();
    });
    show();
  }

  // ---------------------------------------------------------------- exit / return

  function setupOfficerActions() {
    const section = document.getElementById('officer-actions');
    if (!section) return;
    const token = officerToken();
    const hint = document.getElementById('officer-hint');
    if (!token) {
      if (hint) hint.hidden = false;
      return;
    }
    section.hidden = false;
    const number = section.dataset.number;
    const form = document.getElementById('event-form');
    const office = document.getElementById('event-office');
    const declaration = document.getElementById('event-declaration');
    const result = document.getElementById('event-result');
    try {
      office.value = localStorage.getItem('cartouche.office') || '';
    } catch (_) {
      // no remembered office
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const kind = event.submitter && event.submitter.value === 'returned' ? 'returned' : 'exited';
      if (!office.reportValidity()) return;
      const body = { kind, office: office.value.trim() };
      if (declaration.value.trim()) body.declaration_ref = declaration.value.trim();
      const buttons = form.querySelectorAll('button');
      buttons.forEach((button) => (button.disabled = true));
      result.textContent = '';
      try {
        const response = await fetch(`/api/v1/certificates/${encodeURIComponent(number)}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${officerToken()}` },
          body: JSON.stringify(body),
        });
        if (!response.ok) {
          result.textContent = await apiError(response);
          result.classList.add('error');
          return;
        }
        try {
          localStorage.setItem('cartouche.office', body.office);
        } catch (_) {
          // not remembered
        }
        result.classList.remove('error');
        result.textContent = t("officer.recorded");
        // The history and the status come from the server: show them fresh.
        window.location.reload();
      } catch (error) {
        result.textContent = String(error);
      } finally {
        buttons.forEach((button) => (button.disabled = false));
      }
    });
  }

  // At once: a scan may come before the texts have loaded.
  setupWedge();
  loadTexts().then(() => {
    setupVerdict();
    setupScanner();
    setupOfficerToken();
    setupOfficerActions();
  });
})();
