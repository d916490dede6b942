<?php
// php visit.php HOST PORT [SESSION_ID]: one "request" of a PHP app whose
// sessions live in sessiond. Prints the session id and the visit count.
declare(strict_types=1);
require __DIR__ . '/SessiondSessionHandler.php';

[, $host, $port] = $argv;
ini_set('session.serialize_handler', 'php_serialize');
ini_set('session.use_strict_mode', '1');
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
session_set_save_handler(new SessiondSessionHandler($host, (int) $port), true);
if (isset($argv[3])) session_id($argv[3]);
session_start();
$_SESSION['visits'] = (string) ((int) ($_SESSION['visits'] ?? '0') + 1);
$_SESSION['lang'] = 'PHP ' . PHP_MAJOR_VERSION;
echo session_id(), ' ', $_SESSION['visits'], "\n";
session_write_close();
