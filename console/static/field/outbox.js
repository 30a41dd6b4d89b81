/* 基层治理·外业: the outbox on the device.
 *
 * A record captured without signal is saved in IndexedDB with its identity (a UUID made on the
 * device), the time it was captured and the account that captured it, photos included
 * (downscaled here, their EXIF capture time and position read before, since a canvas drops the
 * EXIF block).  Saving and sending are separate: a record stays in the outbox until the server
 * has it.  The server accepts a record once by its UUID and answers a repeat with the first one,
 * so a send whose answer was lost is simply sent again.
 *
 * window.jicengOutbox is used by field.js (the outbox panel, sync, logout) and by the forms.
 */
(function () {
  'use strict';

  var DB_NAME = 'jiceng-field';
  var STORE = 'outbox';
  var ATTEMPTS = 3;  // per record and round: a dropped connection is often back a moment later

  // -- storage --------------------------------------------------------------------------------

  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(STORE, {keyPath: 'id'});
          store.createIndex('owner', 'owner');
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && 'result' in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error('outbox transaction aborted')); };
      });
    });
  }

  function list(owner) {
    if (!owner) return Promise.resolve([]);
    return run('readonly', function (store) { return store.index('owner').getAll(String(owner)); })
      .then(function (items) {
        return items.sort(function (a, b) { return a.captured_at < b.captured_at ? -1 : 1; });
      });
  }

  function put(item) { return run('readwrite', function (store) { return store.put(item); }); }
  function get(id) { return run('readonly', function (store) { return store.get(id); }); }
  function remove(id) { return run('readwrite', function (store) { return store.delete(id); }).then(changed); }

  function clearOwner(owner) {
    return list(owner).then(function (items) {
      return run('readwrite', function (store) {
        items.forEach(function (item) { store.delete(item.id); });
      });
    }).then(changed);
  }

  // -- identity and time ------------------------------------------------------------------------

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // -- photos: EXIF first, then downscale -------------------------------------------------------

  var TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8};

  /* The capture time (DateTimeOriginal, with OffsetTimeOriginal when the camera wrote one) and
   * the GPS position of a JPEG, or {} when it has none or the block is broken. */
  function readExif(buffer) {
    try {
      var view = new DataView(buffer);
      if (view.getUint16(0) !== 0xFFD8) return {};
      var offset = 2;
      while (offset + 4 <= view.byteLength) {
        var marker = view.getUint16(offset);
        if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) break;
        var length = view.getUint16(offset + 2);
        if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) return readTiff(view, offset + 10);
        offset += 2 + length;
      }
    } catch (err) { /* a broken block never costs the photo itself */ }
    return {};
  }

  function readTiff(view, start) {
    var little = view.getUint16(start) === 0x4949;
    function u16(at) { return view.getUint16(start + at, little); }
    function u32(at) { return view.getUint32(start + at, little); }
    function entries(at) {
      var out = {};
      var count = u16(at);
      for (var i = 0; i < count; i++) {
        var entry = at + 2 + i * 12;
        var type = u16(entry + 2);
        var n = u32(entry + 4);
        var size = (TYPE_SIZES[type] || 1) * n;
        out[u16(entry)] = {type: type, count: n, at: size > 4 ? u32(entry + 8) : entry + 8};
      }
      return out;
    }
    function text(e) {
      if (!e || e.type !== 2) return null;
      var s = '';
      for (var i = 0; i < e.count; i++) {
        var c = view.getUint8(start + e.at + i);
        if (!c) break;
        s += String.fromCharCode(c);
      }
      return s.trim();
    }
    function rationals(e) {
      if (!e || e.type !== 5) return null;
      var out = [];
      for (var i = 0; i < e.count; i++) {
        var den = u32(e.at + i * 8 + 4);
        out.push(den ? u32(e.at + i * 8) / den : NaN);
      }
      return out;
    }
    var facts = {};
    var top = entries(u32(4));
    if (top[0x8769]) {
      var exif = entries(u32(top[0x8769].at));
      var raw = text(exif[0x9003]) || text(exif[0x9004]);
      var m = raw && /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(raw);
      if (m) {
        var zone = text(exif[0x9011]);
        facts.taken_at = m[1] + '-' + m[2] + '-' + m[3] + 'T' + m[4] + ':' + m[5] + ':' + m[6] +
          (zone && /^[+-]\d{2}:\d{2}$/.test(zone) ? zone : '');
      }
    }
    if (top[0x8825]) {
      var gps = entries(u32(top[0x8825].at));
      var lat = rationals(gps[2]), lon = rationals(gps[4]);
      if (lat && lon && lat.length === 3 && lon.length === 3) {
        var latitude = lat[0] + lat[1] / 60 + lat[2] / 3600;
        var longitude = lon[0] + lon[1] / 60 + lon[2] / 3600;
        if (text(gps[1]) === 'S') latitude = -latitude;
        if (text(gps[3]) === 'W') longitude = -longitude;
        if (isFinite(latitude) && isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
          facts.latitude = Math.round(latitude * 1e7) / 1e7;
          facts.longitude = Math.round(longitude * 1e7) / 1e7;
        }
      }
    }
    return facts;
  }

  function toBlob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, 'image/jpeg', quality); });
  }

  /* One photo as the outbox stores it: no larger than the console keeps (maxSide pixels on the
   * longest side, maxBytes), with the facts of its EXIF beside it. */
  function preparePhoto(file, limits) {
    var facts;
    return file.arrayBuffer().then(function (buffer) {
      facts = readExif(buffer);
      return createImageBitmap(file);
    }).catch(function () {
      throw new Error('“' + file.name + '”不是可识别的图片');
    }).then(function (bitmap) {
      var scale = Math.min(1, limits.maxSide / Math.max(bitmap.width, bitmap.height));
      var small = scale === 1 && file.size <= limits.maxBytes && /^image\/(jpeg|png)$/.test(file.type);
      if (small) {
        bitmap.close();
        return file;  // stored as taken: it keeps its own EXIF
      }
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      var quality = 0.85;
      var attempt = function (blob) {
        if (blob.size <= limits.maxBytes || quality < 0.4) return blob;
        quality -= 0.15;
        return toBlob(canvas, quality).then(attempt);
      };
      return toBlob(canvas, quality).then(attempt);
    }).then(function (blob) {
      return {blob: blob, name: file.name.replace(/\.[^.]*$/, '') + '.jpg', taken_at: facts.taken_at || null,
              latitude: facts.latitude == null ? null : facts.latitude,
              longitude: facts.longitude == null ? null : facts.longitude};
    });
  }

  function preparePhotos(files, limits) {
    files = Array.prototype.slice.call(files || []);
    if (limits.most && files.length > limits.most) {
      return Promise.reject(new Error('照片太多：一次最多 ' + limits.most + ' 张'));
    }
    return files.reduce(function (done, file) {
      return done.then(function (out) {
        return preparePhoto(file, limits).then(function (p) { out.push(p); return out; });
      });
    }, Promise.resolve([]));
  }

  // -- capture ----------------------------------------------------------------------------------

  /* Save one record in the outbox: {owner, kind, endpoint, title, payload, photos}. */
  function capture(record) {
    var item = {
      id: record.id || uuid(),
      owner: String(record.owner),
      kind: record.kind,
      endpoint: record.endpoint,
      title: record.title,
      payload: record.payload,
      photos: record.photos || [],
      captured_at: new Date().toISOString(),
      state: 'waiting',
      message: '',
    };
    if (navigator.storage && navigator.storage.persist) {
      // Without it the browser may evict the outbox when the phone runs short of space.
      navigator.storage.persist().catch(function () { return false; });
    }
    return put(item).then(function () { changed(); return item; });
  }

  // -- sending ----------------------------------------------------------------------------------

  function body(item) {
    var data = new FormData();
    var payload = Object.assign({}, item.payload, {client_id: item.id, captured_at: item.captured_at});
    payload.photos = item.photos.map(function (p) {
      return {taken_at: p.taken_at, latitude: p.latitude, longitude: p.longitude};
    });
    data.append('payload', JSON.stringify(payload));
    item.photos.forEach(function (p) { data.append('photos', p.blob, p.name); });
    return data;
  }

  function messageOf(response) {
    return response.json().then(function (json) { return json && json.message; }, function () { return null; })
      .then(function (message) { return typeof message === 'string' ? message : null; });
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function mark(item, state, message) {
    item.state = state;
    item.message = message || '';
    return put(item).then(changed);
  }

  /* Send one record: 'sent', 'refused' (stays, with the server's Chinese message),
   * 'signin' (the session ended: the user signs in again, then it goes) or 'failed'. */
  function send(item, attempt) {
    attempt = attempt || 1;
    return mark(item, 'sending').then(function () {
      return fetch(item.endpoint, {method: 'POST', body: body(item), credentials: 'same-origin',
                                   headers: {Accept: 'application/json'}, redirect: 'manual'});
    }).then(function (response) {
      if (response.ok) return remove(item.id).then(function () { return 'sent'; });
      if (response.status === 401 || response.type === 'opaqueredirect') {
        return mark(item, 'waiting', '登录已失效：请重新登录，登录后自动上传').then(function () { return 'signin'; });
      }
      if (response.status >= 500 || response.status === 429) {
        throw new Error('服务器暂时无法接收（' + response.status + '），稍后自动重试');
      }
      return messageOf(response).then(function (message) {
        return mark(item, 'refused', message || ('服务器未接收（' + response.status + '）')).then(function () {
          return 'refused';
        });
      });
    }).catch(function (err) {
      var message = err instanceof TypeError ? '网络中断，稍后自动重试' : String(err.message || err);
      return mark(item, 'waiting', message).then(function () {
        if (attempt >= ATTEMPTS) return 'failed';
        return sleep(300 * attempt).then(function () { return send(item, attempt + 1); });
      });
    });
  }

  var syncing = null;
  var retryTimer = null;

  /* Send every waiting record of ``owner``, oldest first, one at a time.  Resolves with the
   * counts; records that could not be sent are tried again a few seconds later. */
  function sync(owner) {
    if (!owner) return Promise.resolve({sent: 0, refused: 0, failed: 0});
    if (syncing) return syncing;
    clearTimeout(retryTimer);
    var counts = {sent: 0, refused: 0, failed: 0};
    syncing = list(owner).then(function (items) {
      var waiting = items.filter(function (i) { return i.state !== 'refused'; });
      return waiting.reduce(function (done, item) {
        return done.then(function (stop) {
          if (stop) return stop;
          return get(item.id).then(function (fresh) {
            if (!fresh || fresh.state === 'refused') return false;  // removed meanwhile
            return send(fresh).then(function (result) {
              if (result === 'signin') return true;
              counts[result] += 1;
              return false;
            });
          });
        });
      }, Promise.resolve(false));
    }).then(function () {
      if (counts.failed && navigator.onLine) {
        retryTimer = setTimeout(function () { sync(owner); }, 3000);
      }
      return counts;
    }).finally(function () { syncing = null; });
    return syncing;
  }

  /* The user asks to send a refused record again (after correcting what the server said). */
  function retry(id) {
    return get(id).then(function (item) {
      if (item) return mark(item, 'waiting', '');
    });
  }

  /* A refused record corrected in its form: same identity (the server kept nothing of it) and
   * capture time, the new fields, and the photos it had unless new ones were taken. */
  function revise(id, changes) {
    return get(id).then(function (item) {
      if (!item) throw new Error('这条记录已不在本机');
      item.title = changes.title || item.title;
      item.payload = changes.payload;
      if (changes.photos && changes.photos.length) item.photos = changes.photos;
      item.state = 'waiting';
      item.message = '';
      return put(item).then(function () { changed(); return item; });
    });
  }

  // -- change notices ---------------------------------------------------------------------------

  var listeners = [];

  function changed() {
    listeners.forEach(function (fn) { try { fn(); } catch (err) { /* one view never stops another */ } });
  }

  function onChange(fn) { listeners.push(fn); }

  window.jicengOutbox = {
    list: list, get: get, remove: remove, clearOwner: clearOwner, capture: capture, retry: retry, revise: revise,
    sync: sync, onChange: onChange, preparePhotos: preparePhotos, readExif: readExif, uuid: uuid,
    syncing: function () { return syncing !== null; },
  };
})();
