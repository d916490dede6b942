<?php
declare(strict_types=1);

/**
 * PHP's own sessions, stored in sessiond through its line protocol
 * (store.protocolListen in the sessiond config).
 *
 *   ini_set('session.serialize_handler', 'php_serialize'); // $_SESSION as serialize() text: what get_all/put_all carry
 *   ini_set('session.use_strict_mode', '1');                // unknown ids are refused, not adopted
 *   session_set_save_handler(new SessiondSessionHandler('127.0.0.1', 7777), true);
 *   session_start();
 *
 * Session ids come from sessiond (`new`); each request opens its session
 * `rw`, so two requests of one session never interleave their writes, and
 * `close` commits. Values in $_SESSION must be strings, as in the store.
 *
 * Served by sessiond as an exec realm, bind PHP to the logged-in session
 * instead of a session of its own (app.php does):
 *
 *   ini_set('session.use_cookies', '0');              // no PHPSESSID: sessiond's cookie carries the session
 *   session_id(getenv('SESSIOND_SESSION_ID'));        // the session sessiond started this worker for
 *   session_start();
 */
final class SessiondSessionHandler implements SessionHandlerInterface, SessionIdInterface, SessionUpdateTimestampHandlerInterface
{
    /** @var resource|null */
    private $socket = null;
    private ?string $opened = null;
    /** @var array<string, string> the opened session's sessiond: keys, kept out of $_SESSION */
    private array $hidden = [];

    public function __construct(private string $host = '127.0.0.1', private int $port = 7777, private float $timeout = 5.0)
    {
    }

    public function open(string $path, string $name): bool
    {
        if ($this->socket !== null) return true;
        $socket = @fsockopen($this->host, $this->port, $errno, $errstr, $this->timeout);
        if ($socket === false) {
            trigger_error("sessiond: cannot connect to {$this->host}:{$this->port}: $errstr", E_USER_WARNING);
            return false;
        }
        stream_set_timeout($socket, (int) ceil($this->timeout));
        $this->socket = $socket;
        return true;
    }

    public function create_sid(): string
    {
        if ($this->socket === null && !$this->open('', '')) throw new RuntimeException('sessiond: not connected');
        $this->release();
        $id = $this->call('new');
        $this->opened = $id;
        return $id;
    }

    public function validateId(string $id): bool
    {
        if (!preg_match('/^[0-9a-f]{64}$/', $id)) return false;
        try {
            $this->call("open $id r");
            $this->call('close');
            return true;
        } catch (RuntimeException) {
            return false;
        }
    }

    public function read(string $id): string|false
    {
        try {
            if ($this->opened !== $id) {
                $this->release();
                $this->call("open $id rw");
                $this->opened = $id;
            }
            return $this->visible($this->call('get_all'));
        } catch (RuntimeException $e) {
            trigger_error($e->getMessage(), E_USER_WARNING);
            return false;
        }
    }

    public function write(string $id, string $data): bool
    {
        try {
            if ($this->opened !== $id) return false;
            $this->call('put_all ' . $this->withHidden($data === '' ? 'a:0:{}' : $data));
            return true;
        } catch (RuntimeException $e) {
            trigger_error($e->getMessage(), E_USER_WARNING);
            return false;
        }
    }

    public function updateTimestamp(string $id, string $data): bool
    {
        return $this->write($id, $data);
    }

    public function close(): bool
    {
        try {
            $this->release();
            return true;
        } catch (RuntimeException) {
            return false;
        } finally {
            if ($this->socket !== null) fclose($this->socket);
            $this->socket = null;
        }
    }

    public function destroy(string $id): bool
    {
        try {
            if ($this->opened !== $id) {
                $this->release();
                $this->call("open $id rw");
            }
            $this->opened = null;
            $this->call('destroy');
            return true;
        } catch (RuntimeException) {
            return false;
        }
    }

    public function gc(int $max_lifetime): int|false
    {
        // sessiond collects expired sessions itself.
        return 0;
    }

    /**
     * sessiond keeps data of its own in the session (`sessiond:…` keys, such
     * as a hibernated worker's state): PHP never sees them, and put_all
     * writes them back as they were, since put_all replaces the whole map.
     * Other realms' keys are ordinary data, shared with PHP.
     */
    private function visible(string $serialized): string
    {
        $all = $serialized === '' ? [] : unserialize($serialized, ['allowed_classes' => false]);
        if (!is_array($all)) return $serialized;
        $this->hidden = [];
        foreach ($all as $key => $value) {
            if (str_starts_with((string) $key, 'sessiond:')) {
                $this->hidden[$key] = $value;
                unset($all[$key]);
            }
        }
        return serialize($all);
    }

    private function withHidden(string $data): string
    {
        if ($this->hidden === []) return $data;
        $mine = unserialize($data, ['allowed_classes' => false]);
        return serialize((is_array($mine) ? $mine : []) + $this->hidden);
    }

    /** Commits and closes the opened session, if any. */
    private function release(): void
    {
        if ($this->opened === null) return;
        $this->opened = null;
        $this->call('close');
    }

    /** Sends one command line; answers what follows `ok `, or throws with the `err` message. */
    private function call(string $line): string
    {
        if ($this->socket === null) throw new RuntimeException('sessiond: not connected');
        if (strpbrk($line, "\r\n") !== false) throw new RuntimeException('sessiond: a command cannot hold a line break');
        if (fwrite($this->socket, $line . "\r\n") === false) throw new RuntimeException('sessiond: write failed');
        $answer = fgets($this->socket);
        if ($answer === false) throw new RuntimeException('sessiond: connection closed');
        $answer = rtrim($answer, "\r\n");
        if ($answer === 'ok') return '';
        if (str_starts_with($answer, 'ok ')) return substr($answer, 3);
        throw new RuntimeException('sessiond: ' . (str_starts_with($answer, 'err ') ? substr($answer, 4) : $answer));
    }
}
